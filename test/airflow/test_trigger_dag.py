"""`d.trigger` in real Airflow: test/airflow/dags/trigger-source.dag.ts starts
test/airflow/dags/trigger-target.dag.ts. Both are compiled into one temporary DAG folder (a
trigger compiles only with its target in the same build) and the source is run with
`airflow dags test`; the target's new DagRun, read from the metadata DB, must carry the conf
with each value's JSON type kept: an upstream output field and a param stay integers, a list a
list, an object an object, and a constant string that looks like Jinja is not rendered.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
SOURCES = ["test/airflow/dags/trigger-source.dag.ts", "test/airflow/dags/trigger-target.dag.ts"]
SOURCE_DAG = "trigger_source_check"
TARGET_DAG = "trigger_target_check"
TASKS_DIR_ENV = "HEALTH_PREDICT_TASKS_DIR"
EXPECTED_CONF = {
    "message": "kept as written: {{ run_id }} {% if %} {# #}",
    "rows": 4,
    "characters": 5,  # len("batch"), from the upstream task's XCom
    "thresholds": [0.5, 2, 10],
    "settings": {"mode": "thorough", "depth": 3},
}


@pytest.fixture(scope="module")
def dags_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trigger-dags")
    proc = subprocess.run([*CLI, "dag", "build", *SOURCES, "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"`dag build` exited {proc.returncode}:\n{proc.stderr}{proc.stdout}"
    assert sorted(path.name for path in out.glob("*.py")) == [f"{SOURCE_DAG}.py", f"{TARGET_DAG}.py"]
    return out


def test_both_files_import_cleanly(dags_folder, airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    assert bag.import_errors == {}, bag.import_errors
    assert set(bag.dag_ids) == {SOURCE_DAG, TARGET_DAG}
    trigger = bag.get_dag(SOURCE_DAG).get_task("start_target")
    assert type(trigger).__name__ == "TriggerDagRunOperator"
    assert trigger.trigger_dag_id == TARGET_DAG
    assert trigger.wait_for_completion is False
    assert trigger.logical_date is None
    assert trigger.upstream_task_ids == {"batch"}


@pytest.mark.airflow_run
def test_the_target_run_gets_the_conf_with_its_types(airflow_runs, dags_folder, task_bundles):
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder), TASKS_DIR_ENV: str(task_bundles)}
    run = airflow_runs.dags_test(SOURCE_DAG, {"rows": 4}, env=env)
    states = {task_id: state for task_id, (state, _) in run.task_states().items()}
    assert states == {"batch": "success", "start_target": "success"}, run.log_tail()
    with run.db.session() as session:
        targets = session.execute(select(DagRun.conf, DagRun.run_type, DagRun.logical_date).where(DagRun.dag_id == TARGET_DAG)).all()
    assert len(targets) == 1, (targets, run.log_tail())
    conf, run_type, logical_date = targets[0]
    assert conf == EXPECTED_CONF, run.log_tail()
    assert type(conf["rows"]) is int and type(conf["characters"]) is int
    assert str(getattr(run_type, "value", run_type)) == "operator_triggered"
    assert logical_date is None, "the trigger starts a run without a logical date, so two triggers never collide"
