"""`scheduleEnv` in real Airflow: test/airflow/dags/schedule-env.dag.ts is compiled into a
temporary folder and loaded with DagBag with its variable unset, blank, a cron expression, a
preset and values Airflow would refuse. The default is the compiled interval; a value replaces
it as Airflow's own timetable for that string; a refused value is an import error that names the
variable, the value and why.
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
SOURCE = "test/airflow/dags/schedule-env.dag.ts"
DAG_ID = "schedule_env_check"
VARIABLE = "HP_SCHEDULE_ENV_CHECK"
DEFAULT = datetime.timedelta(hours=3)


@pytest.fixture(scope="module")
def dags_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("schedule-env-dags")
    proc = subprocess.run([*CLI, "dag", "build", SOURCE, "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"`dag build` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}"
    assert [path.name for path in out.glob("*.py")] == [f"{DAG_ID}.py"]
    return out


def _load(folder: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder))


@pytest.mark.parametrize("value", [None, "", "   "])
def test_unset_or_blank_keeps_the_compiled_default(dags_folder, monkeypatch, value):
    monkeypatch.delenv(VARIABLE, raising=False)
    if value is not None:
        monkeypatch.setenv(VARIABLE, value)
    bag = _load(dags_folder)
    assert bag.import_errors == {}, bag.import_errors
    dag = bag.dags[DAG_ID]
    assert dag.schedule == DEFAULT
    assert type(dag.timetable).__name__ == "DeltaTriggerTimetable"


@pytest.mark.parametrize(
    "value, schedule, expression",
    [("15 */6 * * *", "15 */6 * * *", "15 */6 * * *"), ("  0   6 * * mon-fri ", "0 6 * * mon-fri", "0 6 * * mon-fri"), ("@daily", "@daily", "0 0 * * *")],
)
def test_a_value_replaces_the_schedule(dags_folder, monkeypatch, value, schedule, expression):
    monkeypatch.setenv(VARIABLE, value)
    bag = _load(dags_folder)
    assert bag.import_errors == {}, bag.import_errors
    dag = bag.dags[DAG_ID]
    assert dag.schedule == schedule
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert dag.timetable.expression == expression
    dag.timetable.validate()


@pytest.mark.parametrize(
    "value, why",
    [
        ("@dialy", "the presets are @hourly, @daily"),
        ("@once", "the presets are @hourly"),
        ("0 6 * *", "a cron expression has five fields"),
        ("61 * * * *", "out of range"),
        ("0 0 31 2 *", "failed to find next date"),
    ],
)
def test_a_refused_value_is_an_import_error_saying_why(dags_folder, monkeypatch, value, why):
    monkeypatch.setenv(VARIABLE, value)
    bag = _load(dags_folder)
    assert DAG_ID not in bag.dag_ids
    errors = list(bag.import_errors.values())
    assert len(errors) == 1, bag.import_errors
    assert f"ValueError: {VARIABLE} = {value!r} is not a schedule Airflow accepts: " in errors[0], errors[0]
    assert why in errors[0], errors[0]


def test_the_dag_docs_say_how_to_override_the_schedule(dags_folder, monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    doc = _load(dags_folder).dags[DAG_ID].doc_md
    assert doc.startswith("A DAG whose schedule the deployment may override"), doc
    assert "**Schedule:** every 3 hours by default." in doc, doc
    assert f"`{VARIABLE}` where Airflow parses DAG files" in doc, doc
