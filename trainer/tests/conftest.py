"""Shared fixtures: synthetic splits, a real `mlflow server` (SQLite + artifacts destination)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from health_predict_trainer.local_mlflow import LocalMlflowServer
from health_predict_trainer.synthetic import make_synthetic_splits

TRAINER_DIR = Path(__file__).resolve().parents[1]
SRC_DIR = TRAINER_DIR / "src"
# The venv ships without bytecode and the sandbox sets PYTHONDONTWRITEBYTECODE: every child
# process (CLI, Ray workers, mlflow server) would recompile mlflow/sklearn/ray from source.
# Children keep their bytecode in a cache under trainer/.cache instead (the venv is untouched).
PYCACHE = TRAINER_DIR / ".cache" / "pycache"


def child_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"PYTHONPYCACHEPREFIX": str(PYCACHE), "PYTHONPATH": str(SRC_DIR)})
    env.update(extra or {})
    return env


REAL_DATA = Path(os.environ.get("HP_REAL_DATA", "/work/shared/data/diabetes-130/diabetic_data.csv"))


@pytest.fixture(scope="session")
def splits(tmp_path_factory) -> dict[str, Path]:
    return make_synthetic_splits(tmp_path_factory.mktemp("splits"), n_rows=2000, seed=0)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    with LocalMlflowServer(tmp_path_factory.mktemp("mlflow"), env=child_env()) as server:
        yield server.uri


def run_cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "health_predict_trainer", *args], capture_output=True,
                          text=True, env=child_env(env), timeout=timeout, cwd=TRAINER_DIR)


def parse_events(stdout: str) -> list[dict]:
    """Every stdout line must be one JSON object with an "event" key."""
    events = []
    for line in stdout.splitlines():
        record = json.loads(line)
        assert isinstance(record, dict) and "event" in record, line
        events.append(record)
    return events
