"""Progress events: one JSON object per line on the ORIGINAL stdout.

``claim_stdout()`` keeps a private handle on file descriptor 1 and points fd 1 at stderr, so
anything else (Ray, MLflow, XGBoost, C extensions) that prints ends up on stderr and stdout
carries only the events.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import IO


class Events:
    def __init__(self, stream: IO[str] | None = None):
        self._stream = stream
        self._lock = threading.Lock()
        self.history: list[dict] = []

    def emit(self, event: str, **fields) -> None:
        record = {"event": event, **fields}
        self.history.append(record)
        if self._stream is None:
            return
        line = json.dumps(record, default=_jsonable)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


    def __getstate__(self):
        return {"_stream": None, "history": list(self.history)}

    def __setstate__(self, state):
        self._stream = None
        self._lock = threading.Lock()
        self.history = state["history"]


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def claim_stdout() -> IO[str]:
    """Returns a text stream on the real stdout and redirects fd 1 (and sys.stdout) to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")
