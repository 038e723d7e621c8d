"""Fixtures and helpers for the Airflow test lane (real Airflow 3.3, SQLite, no api-server).

Airflow reads AIRFLOW_HOME and its config when `airflow` is first imported, so the
environment is set in `pytest_configure` (after pytest's tmp_path_factory exists, before any
test module is collected). Nothing in this file imports airflow at module level; the test
modules import it inside fixtures and tests only.

Helpers are exposed as fixtures:
  dag_inspect(dag_id) -> dict            the compiler's IR (`health-predict dag inspect`)
  task_bundles                           dist/tasks, bundled if prepare-batch.mjs is missing
  airflow_db                             `airflow db migrate` once per session (SQLite)
  airflow_runs.dags_test(dag_id, conf)   runs `airflow dags test`, returns a DagTestRun with
                                         .run_id, .returncode, .log_path and, read in-process
                                         with Airflow's ORM: .state(), .task_states()
                                         {task_id: (state, try_number)}, .xcom_returns()
                                         {task_id: value}, .task_history()
  airflow_runs.start(dag_id, conf)       the same, started in the background; .wait() -> DagTestRun
  stack_env, cluster, webhook, run_env,  the pipeline runs' platform (pipeline_platform.py)
  raw_uri, first_run, production_after_first
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

# The pipeline runs' shared platform (stack, cluster, webhook, first run): session fixtures.
from pipeline_platform import cluster, first_run, production_after_first, raw_uri, run_env, stack_env, webhook  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "generated" / "dags"
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
AIRFLOW_VENV_BIN = REPO / ".venv" / "airflow" / "bin"
# The airflow entry point of the interpreter running pytest (normally .venv/airflow).
AIRFLOW_BIN = Path(sys.executable).parent / "airflow"
if not AIRFLOW_BIN.exists():
    AIRFLOW_BIN = AIRFLOW_VENV_BIN / "airflow"

# Each run's $AIRFLOW_HOME/config/airflow_local_settings.py: a cluster policy that shortens retry
# delays when a run's environment asks for it (HP_TEST_RETRY_DELAY_S), so a failure-path run can
# show Airflow's retries without waiting the DAG's 5 minutes.
LOCAL_SETTINGS = Path(__file__).resolve().parent / "airflow_local_settings.py"

DAGS_TEST_TIMEOUT_S = 300
MIGRATE_TIMEOUT_S = 300

# Set once in pytest_configure; read by fixtures.
_STATE: dict[str, Path] = {}
_PROCS: dict[str, subprocess.Popen] = {}

# Variables from the caller's environment that would point Airflow at another home/DB.
_FOREIGN_AIRFLOW_ENV = ("AIRFLOW_CONFIG", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__SQL_ALCHEMY_CONN")


@pytest.hookimpl(trylast=True)  # after _pytest.tmpdir has attached config._tmp_path_factory
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "airflow_run: runs a real `airflow dags test` (≈20 s each; deselect with -m 'not airflow_run')")
    if "airflow" in sys.modules:
        raise pytest.UsageError(
            "airflow was imported before test/airflow/conftest.py could set AIRFLOW_HOME; "
            "the lane would use the wrong home/database. Do not import airflow at conftest/plugin import time."
        )
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    home = factory.mktemp("airflow-home", numbered=True)
    logs = factory.mktemp("airflow-logs", numbered=True)
    for name in _FOREIGN_AIRFLOW_ENV:
        os.environ.pop(name, None)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    _STATE["home"] = home
    _STATE["logs"] = logs


def _airflow_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"<cannot read {path}: {error}>"


# --------------------------------------------------------------------------- compiler / bundles


@functools.lru_cache(maxsize=None)
def _inspect(dag_id: str) -> str:
    proc = subprocess.run([*CLI, "dag", "inspect", dag_id], cwd=REPO, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"`health-predict dag inspect {dag_id}` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}")
    return proc.stdout


@pytest.fixture(scope="session")
def dag_inspect():
    """`dag_inspect(dag_id)` -> the DAG's IR as a fresh dict (the CLI runs once per DAG id)."""
    return lambda dag_id: json.loads(_inspect(dag_id))


@pytest.fixture(scope="session")
def task_bundles() -> Path:
    """dist/tasks/*.mjs, which the generated BashOperators execute; built if missing."""
    tasks_dir = REPO / "dist" / "tasks"
    if not (tasks_dir / "prepare-batch.mjs").exists():
        proc = subprocess.run([*CLI, "bundle"], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"`health-predict bundle` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}"
    assert (tasks_dir / "prepare-batch.mjs").exists(), "bundling did not produce dist/tasks/prepare-batch.mjs"
    return tasks_dir


# --------------------------------------------------------------------------- Airflow metadata DB


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return _STATE["home"]


def _start_migrate() -> None:
    if "migrate" not in _PROCS:
        log = _STATE["logs"] / "db-migrate.log"
        with log.open("w") as out:
            _PROCS["migrate"] = subprocess.Popen(
                [str(AIRFLOW_BIN), "db", "migrate"], cwd=REPO, env=_airflow_env(), stdout=out, stderr=subprocess.STDOUT
            )


def pytest_collection_finish(session: pytest.Session) -> None:
    # `airflow db migrate` takes ~10 s: when runs are selected, start it now so it overlaps the
    # DagBag tests (which do not need a database).
    if any(item.get_closest_marker("airflow_run") for item in session.items):
        _start_migrate()


def pytest_unconfigure(config: pytest.Config) -> None:
    proc = _PROCS.pop("migrate", None)
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def airflow_db(airflow_home: Path) -> Path:
    """`airflow db migrate` once for the session (SQLite under the temporary AIRFLOW_HOME)."""
    _start_migrate()
    log = _STATE["logs"] / "db-migrate.log"
    try:
        returncode = _PROCS["migrate"].wait(timeout=MIGRATE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"`airflow db migrate` timed out after {MIGRATE_TIMEOUT_S} s (log {log}):\n{_tail(log)}") from None
    assert returncode == 0, f"`airflow db migrate` exited {returncode} (log {log}):\n{_tail(log)}"
    db = airflow_home / "airflow.db"
    assert db.exists(), f"`airflow db migrate` did not create {db}"
    return db


def _state_str(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


class MetadataDB:
    """Reads one SQLite metadata DB in-process with Airflow's own ORM models (imported lazily:
    the environment is set by pytest_configure before the first airflow import)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine = None

    def session(self):
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        if self._engine is None:
            self._engine = create_engine(f"sqlite:///{self.path}")
        return Session(self._engine)

    def run_ids(self, dag_id: str) -> list[str]:
        from airflow.models.dagrun import DagRun
        from sqlalchemy import select

        with self.session() as session:
            return list(session.scalars(select(DagRun.run_id).where(DagRun.dag_id == dag_id).order_by(DagRun.id)))

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        from airflow.models.dagrun import DagRun
        from sqlalchemy import select

        with self.session() as session:
            return _state_str(session.scalar(select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)))

    def task_states(self, dag_id: str, run_id: str) -> dict[str, tuple[str | None, int]]:
        """{task_id: (state, try_number)}; state None means the task was never scheduled."""
        from airflow.models.taskinstance import TaskInstance
        from sqlalchemy import select

        with self.session() as session:
            rows = session.execute(
                select(TaskInstance.task_id, TaskInstance.state, TaskInstance.try_number).where(
                    TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id, TaskInstance.map_index == -1
                )
            ).all()
        return {task_id: (_state_str(state), try_number) for task_id, state, try_number in rows}

    def task_history(self, dag_id: str, run_id: str) -> dict[str, list[tuple[int, str | None]]]:
        """Earlier, retried tries (TaskInstanceHistory): {task_id: [(try_number, state), ...]}."""
        from airflow.models.taskinstancehistory import TaskInstanceHistory
        from sqlalchemy import select

        with self.session() as session:
            rows = session.execute(
                select(TaskInstanceHistory.task_id, TaskInstanceHistory.try_number, TaskInstanceHistory.state)
                .where(TaskInstanceHistory.dag_id == dag_id, TaskInstanceHistory.run_id == run_id)
                .order_by(TaskInstanceHistory.try_number)
            ).all()
        history: dict[str, list[tuple[int, str | None]]] = {}
        for task_id, try_number, state in rows:
            history.setdefault(task_id, []).append((try_number, _state_str(state)))
        return history

    def xcom_returns(self, dag_id: str, run_id: str, key: str = "return_value") -> dict[str, Any]:
        """{task_id: value} for XCom `key`. Airflow 3 stores XCom values as JSON; XComModel.deserialize_value
        decodes them (and passes through values the Task Execution API stored as plain JSON)."""
        from airflow.models.xcom import XComModel
        from sqlalchemy import select

        with self.session() as session:
            rows = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == key, XComModel.map_index == -1
                )
            ).all()
            return {row.task_id: XComModel.deserialize_value(row) for row in rows}


@dataclasses.dataclass(frozen=True)
class DagTestRun:
    """A finished `airflow dags test`; the result accessors read its metadata DB."""

    dag_id: str
    conf: dict[str, Any]
    run_id: str
    returncode: int
    log_path: Path
    seconds: float
    db: MetadataDB

    def state(self) -> str | None:
        return self.db.run_state(self.dag_id, self.run_id)

    def task_states(self) -> dict[str, tuple[str | None, int]]:
        return self.db.task_states(self.dag_id, self.run_id)

    def task_history(self) -> dict[str, list[tuple[int, str | None]]]:
        return self.db.task_history(self.dag_id, self.run_id)

    def xcom_returns(self, key: str = "return_value") -> dict[str, Any]:
        return self.db.xcom_returns(self.dag_id, self.run_id, key)

    def log_tail(self, lines: int = 60) -> str:
        return f"--- {self.log_path} (last {lines} lines) ---\n{_tail(self.log_path, lines)}"


class PendingDagTest:
    """An `airflow dags test` subprocess started by AirflowRuns.start(); wait() returns the DagTestRun."""

    def __init__(self, dag_id: str, conf: dict[str, Any], home: Path, log: Path, timeout: float, extra_env: dict[str, str] | None = None) -> None:
        self.dag_id, self.conf, self.home, self.log, self.timeout = dag_id, conf, home, log, timeout
        self.db = MetadataDB(home / "airflow.db")
        self._before = set(self.db.run_ids(dag_id))
        env = {**_airflow_env(), **(extra_env or {})}
        env["AIRFLOW_HOME"] = str(home)
        with log.open("w") as out:
            out.write(f"$ AIRFLOW_HOME={home} airflow dags test {dag_id} --conf {json.dumps(conf)}\n")
        self._out = log.open("a")
        self._started = time.monotonic()
        self._proc = subprocess.Popen(
            [str(AIRFLOW_BIN), "dags", "test", dag_id, "--conf", json.dumps(conf)],
            cwd=REPO, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._result: DagTestRun | None = None

    def kill(self) -> None:
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)  # its own session: the task subprocesses go too
            self._proc.wait()
        self._out.close()

    def wait(self) -> DagTestRun:
        if self._result is not None:
            return self._result
        remaining = self.timeout - (time.monotonic() - self._started)
        try:
            returncode = self._proc.wait(timeout=max(remaining, 1))
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"`airflow dags test {self.dag_id}` timed out after {self.timeout} s\n{_tail(self.log)}") from None
        finally:
            self._out.close()
        seconds = time.monotonic() - self._started
        new = [run_id for run_id in self.db.run_ids(self.dag_id) if run_id not in self._before]
        if len(new) != 1:
            raise AssertionError(f"expected exactly one new DagRun of {self.dag_id}, found {new} (exit {returncode})\n{_tail(self.log)}")
        self._result = DagTestRun(self.dag_id, self.conf, new[0], returncode, self.log, seconds, self.db)
        return self._result


class AirflowRuns:
    """Runs `airflow dags test` as subprocesses.

    Each run gets its own AIRFLOW_HOME holding a copy of the session's migrated SQLite DB, so
    several runs can go at once (one `dags test` spends ~12 s building the in-process Execution
    API before the first task) without SQLite write-lock contention between them."""

    def __init__(self, migrated_db: Path, work_dir: Path) -> None:
        self._migrated_db = migrated_db
        self._work_dir = work_dir
        self._count = 0
        self._pending: list[PendingDagTest] = []

    def start(self, dag_id: str, conf: dict[str, Any] | None = None, *, timeout: float = DAGS_TEST_TIMEOUT_S, env: dict[str, str] | None = None) -> PendingDagTest:
        self._count += 1
        name = f"{self._count:02d}-{dag_id}"
        home = self._work_dir / name
        home.mkdir(parents=True)
        shutil.copyfile(self._migrated_db, home / "airflow.db")
        (home / "config").mkdir()
        shutil.copyfile(LOCAL_SETTINGS, home / "config" / "airflow_local_settings.py")
        pending = PendingDagTest(dag_id, conf or {}, home, self._work_dir / f"{name}.log", timeout, env)
        self._pending.append(pending)
        return pending

    def dags_test(self, dag_id: str, conf: dict[str, Any] | None = None, *, timeout: float = DAGS_TEST_TIMEOUT_S, env: dict[str, str] | None = None) -> DagTestRun:
        """`airflow dags test <dag_id> --conf <json>` and wait. A failed DagRun makes the command exit
        non-zero; that is reported in DagTestRun.returncode, not raised."""
        return self.start(dag_id, conf, timeout=timeout, env=env).wait()

    def close(self) -> None:
        for pending in self._pending:
            pending.kill()


@pytest.fixture(scope="session")
def airflow_runs(airflow_db: Path, task_bundles: Path):
    runs = AirflowRuns(airflow_db, _STATE["logs"])
    yield runs
    runs.close()
