"""The pipeline's first three tasks in real Airflow against real services.

`airflow dags test health_predict_continuous_improvement` with a private stack (MLflow with
SQLite and served artifacts, moto for the S3 API) started through the project's own
`health-predict stack` command, on synthetic data uploaded with `health-predict data synth`.
Small HPO budgets keep it to a couple of minutes; the production settings are benchmarked in
trainer/bench_train.py instead.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow_run

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin/health-predict.mjs")]
DAG_ID = "health_predict_continuous_improvement"
BUCKET = "hp-pipeline-e2e"
TASKS = ("prepare_training_data", "run_training_and_hpo", "evaluate_model_performance")


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    import os

    proc = subprocess.run([*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"health-predict {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory):
    state = tmp_path_factory.mktemp("stack")
    _cli("stack", "up", "--state-dir", str(state), "--mlflow-port", "0", "--moto-port", "0", timeout=600)
    try:
        env = json.loads(_cli("stack", "env", "--state-dir", str(state), "--json"))
        yield env
    finally:
        subprocess.run([*CLI, "stack", "down", "--state-dir", str(state)], cwd=REPO, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def pipeline_run(stack_env, airflow_runs):
    request = urllib.request.Request(f"{stack_env['AWS_ENDPOINT_URL_S3']}/{BUCKET}", method="PUT")  # S3 CreateBucket
    urllib.request.urlopen(request, timeout=30).close()
    _cli("data", "synth", "--rows", "10000", "--seed", "7", "--out", f"s3://{BUCKET}/raw/diabetic_data.csv", env=stack_env)
    env = {
        **stack_env,
        "TRAINING_MODEL_TYPES": "lr,xgb",
        "RAY_NUM_SAMPLES": "2",
        "RAY_MAX_EPOCHS": "2",
        "RAY_GRACE_PERIOD": "1",
        "MLFLOW_EXPERIMENT_NAME": "health-predict-e2e",
    }
    conf = {"raw_data_uri": f"s3://{BUCKET}/raw/diabetic_data.csv", "prepared_data_uri": f"s3://{BUCKET}/prepared"}
    return airflow_runs.dags_test(DAG_ID, conf, timeout=900, env=env)


def test_all_three_tasks_succeed(pipeline_run):
    states = pipeline_run.task_states()
    assert {task: states.get(task, (None, 0))[0] for task in TASKS} == {task: "success" for task in TASKS}, pipeline_run.log_tail(120)
    assert pipeline_run.state() == "success"


def test_manifest_and_champion_are_typed_xcom(pipeline_run):
    xcom = pipeline_run.xcom_returns()
    manifest = xcom["prepare_training_data"]
    assert manifest["output_uri"].startswith(f"s3://{BUCKET}/prepared/")
    assert manifest["files"]["test"]["rows"] > 100
    training = xcom["run_training_and_hpo"]
    assert sorted(model["model_type"] for model in training["models"]) == ["lr", "xgb"]
    assert all(model["parity_max_abs_diff"] <= 1e-4 for model in training["models"])
    evaluation = xcom["evaluate_model_performance"]
    best = max(training["models"], key=lambda model: model["val_f1"])
    assert evaluation["champion"]["run_id"] == best["run_id"]  # champion of THIS run, by validation F1
    metrics, ci = evaluation["test"]["metrics"], evaluation["test"]["ci"]
    assert metrics["n"] == manifest["files"]["test"]["rows"]
    assert ci["f1"][0] <= metrics["f1"] <= ci["f1"][1]
    assert metrics["roc_auc"] > 0.6  # the synthetic data carries a learnable signal


def test_plots_are_in_the_champion_run(pipeline_run, stack_env):
    champion = pipeline_run.xcom_returns()["evaluate_model_performance"]["champion"]
    query = urllib.parse.urlencode({"run_id": champion["run_id"], "path": "evaluation"})
    with urllib.request.urlopen(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/artifacts/list?{query}", timeout=30) as response:
        files = {Path(entry["path"]).name for entry in json.load(response).get("files", [])}
    assert {"roc_curve.svg", "precision_recall_curve.svg", "confusion_matrix.svg"} <= files
