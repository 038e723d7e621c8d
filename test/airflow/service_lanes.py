"""The one rule for a test whose real service (the local cluster, dockerd, moto) cannot run on
this machine, as test/harness/skip.ts has it for vitest: skip with the reason (`pytest -rs`
prints it in the summary), except under CI=true, where the test fails: CI must not pass on
lanes that never ran."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")


def require_service(available: bool, reason: str) -> None:
    """Returns when the service is available; otherwise skips (or, under CI, fails) with `reason`."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true and this test cannot run its real service: {reason}. CI fails rather than skip it.", pytrace=False)
    pytest.skip(reason)
