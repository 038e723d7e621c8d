"""A schemathesis hook file (SCHEMATHESIS_HOOKS=test/fuzz/request_log.py): one line per request
sent, "<status> <METHOD> <path template>" ("error" for a network-level failure), appended to the
file named by HP_FUZZ_REQUEST_LOG. The fuzz driver (test/fuzz/run.ts) counts the requests
schemathesis actually sent from it and tallies their statuses.
"""
from __future__ import annotations

import os
import threading

import schemathesis

_LOCK = threading.Lock()  # workers are threads sharing this module
_LOG = open(os.environ["HP_FUZZ_REQUEST_LOG"], "a", buffering=1, encoding="utf-8")


def _record(status: str, case) -> None:
    with _LOCK:
        _LOG.write(f"{status} {case.method.upper()} {case.path}\n")


@schemathesis.hook
def after_call(context, case, response) -> None:
    _record(str(response.status_code), case)


@schemathesis.hook
def after_network_error(context, case, request) -> None:
    _record("error", case)
