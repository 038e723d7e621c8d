"""The seed's contract for the pipeline DAG, read from the compiled file in real Airflow (a DagBag
of generated/dags) and compared with the seed's own values written out here, not with the
compiler's IR: task ids and the flow between them, no schedule, no catch-up, one active run,
two retries five minutes apart (backing off exponentially), the seed's params and defaults, and
a time limit on the run and on every task."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "generated" / "dags"
DAG_ID = "health_predict_continuous_improvement"

SEED_TASKS = {
    "start",
    "prepare_training_data",
    "run_training_and_hpo",
    "evaluate_model_performance",
    "compare_against_production",
    "deployment_decision_branch",
    "register_and_promote_model",
    "build_api_image",
    "test_api_locally",
    "push_to_ecr",
    "deploy_to_kubernetes",
    "verify_deployment",
    "post_deployment_health_check",
    "rollback_deployment",
    "notify_deployment_success",
    "log_skip_decision",
    "notify_no_deployment",
    "end",
}

# The seed's flow: upstream → downstream. The compiled DAG may add data edges (a task reading an
# earlier task's output depends on it), never remove one of these.
SEED_EDGES = {
    ("start", "prepare_training_data"),
    ("prepare_training_data", "run_training_and_hpo"),
    ("run_training_and_hpo", "evaluate_model_performance"),
    ("evaluate_model_performance", "compare_against_production"),
    ("compare_against_production", "deployment_decision_branch"),
    ("deployment_decision_branch", "register_and_promote_model"),
    ("deployment_decision_branch", "log_skip_decision"),
    ("register_and_promote_model", "build_api_image"),
    ("build_api_image", "test_api_locally"),
    ("test_api_locally", "push_to_ecr"),
    ("push_to_ecr", "deploy_to_kubernetes"),
    ("deploy_to_kubernetes", "verify_deployment"),
    ("verify_deployment", "post_deployment_health_check"),
    ("post_deployment_health_check", "notify_deployment_success"),
    ("deploy_to_kubernetes", "rollback_deployment"),
    ("verify_deployment", "rollback_deployment"),
    ("post_deployment_health_check", "rollback_deployment"),
    ("notify_deployment_success", "end"),
    ("log_skip_decision", "notify_no_deployment"),
    ("notify_no_deployment", "end"),
}

# The seed's five run parameters and their defaults. improvement_threshold's null means "the
# environment's MODEL_IMPROVEMENT_THRESHOLD, else 0.02".
SEED_PARAMS = {
    "improvement_threshold": None,
    "force_deployment": False,
    "skip_api_tests": False,
    "notification_channels": ["airflow", "email"],
    "raw_data_uri": "s3://health-predict-data/raw/diabetic_data.csv",
}

LONG_TASKS = {"run_training_and_hpo": datetime.timedelta(hours=2)}


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}, bag.import_errors
    return bag.dags[DAG_ID]


def test_task_ids_are_the_seeds(dag):
    assert set(dag.task_ids) == SEED_TASKS


def test_the_seeds_flow_is_wired(dag):
    edges = {(task.task_id, downstream) for task in dag.tasks for downstream in task.downstream_task_ids}
    assert SEED_EDGES - edges == set()
    assert dag.get_task("start").upstream_task_ids == set()
    assert dag.get_task("prepare_training_data").upstream_task_ids == {"start"}
    assert dag.get_task("end").downstream_task_ids == set()


def test_schedule_catchup_and_active_runs(dag):
    assert dag.schedule is None
    assert type(dag.timetable).__name__ == "NullTimetable"
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_retries_back_off_from_five_minutes(dag):
    assert dag.default_args["retries"] == 2
    assert dag.default_args["retry_delay"] == datetime.timedelta(minutes=5)
    for task in dag.tasks:
        assert task.retries == 2, task.task_id
        assert task.retry_delay == datetime.timedelta(minutes=5), task.task_id
        # Airflow 3 reads it as the multiplier per retry: 2 doubles the delay (1 would keep it constant).
        assert task.retry_exponential_backoff == 2, task.task_id
        assert task.max_retry_delay == datetime.timedelta(minutes=30), task.task_id


def test_params_have_the_seeds_defaults(dag):
    values = {name: dag.params[name] for name in SEED_PARAMS}
    assert values == SEED_PARAMS
    description = dag.params.get_param("improvement_threshold").description
    assert "MODEL_IMPROVEMENT_THRESHOLD" in description and "0.02" in description
    assert "airflow" in dag.params.get_param("notification_channels").schema["items"]["enum"]


def test_the_run_and_every_task_have_a_time_limit(dag):
    assert dag.dagrun_timeout is not None and dag.dagrun_timeout > datetime.timedelta(0)
    for task in dag.tasks:
        assert task.execution_timeout is not None and task.execution_timeout > datetime.timedelta(0), task.task_id
        assert task.execution_timeout <= dag.dagrun_timeout, task.task_id
    for task_id, limit in LONG_TASKS.items():
        assert dag.get_task(task_id).execution_timeout == limit
