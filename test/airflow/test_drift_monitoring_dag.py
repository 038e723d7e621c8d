"""Drift monitoring (health_predict_drift_monitoring) closing the loop in real Airflow.

On the pipeline platform's stack (pipeline_platform.py: MLflow, moto, the Slack stand-in), with
a model name of its own so the pipeline tests' registry is untouched:

0. `health-predict data synth` writes 20 000 raw rows whose features num_medications,
   time_in_hospital and A1Cresult shift from raw row 8 000 on (the synthetic generator's drift
   option). The origin split keeps rows 0–3 999 as the first training set; the rest arrive as
   batches of 4 000 rows: batch 1 (rows 4 000–7 999) is unshifted, batches 2–4 are shifted.
1. Before any model is in production, take_next_batch skips with the reason and takes nothing.
2. The improvement DAG puts a first model in production (deploy_target 'registry').
3. Drift run 1 (batch 1): NONE → no trigger, no notification; the report is in the object
   store and in MLflow.
4. Drift run 2 (batch 2): MAJOR → trigger_continuous_improvement starts the improvement DAG
   with a conf naming the reference and both batches (read back from Airflow's database), and
   the retraining notice reaches Slack.
5. That conf, run: prepare trains on the first 20 % plus the batches (split kind 'arrived'),
   validates and tests on the newest batch's held-out rows, the gates decide, and the decision
   run records that drift started it.
6. Drift run 3 (batch 3, shifted too), inside DRIFT_ALERT_COOLDOWN_HOURS: no second trigger.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import pytest
from pipeline_platform import REPO, cli, get_json

pytestmark = pytest.mark.airflow_run

DRIFT_DAG = "health_predict_drift_monitoring"
PIPELINE_DAG = "health_predict_continuous_improvement"
BUCKET = "hp-drift-e2e"
MODEL_NAME = "health-predict-drift-e2e"
EXPERIMENT = "health-predict-drift-e2e"
RAW_URI = f"s3://{BUCKET}/raw/diabetic_data.csv"
MONITORING_URI = f"s3://{BUCKET}/monitoring"
SHIFTED = "num_medications,time_in_hospital,A1Cresult"
TRIGGER = "trigger_continuous_improvement"
AFTER_MEASURE = (TRIGGER, "notify_drift_retraining", "notify_drift_warning", "no_action")


@pytest.fixture(scope="module")
def drift_env(stack_env, webhook):
    return {
        **stack_env,
        "TRAINING_MODEL_TYPES": "lr",
        "RAY_NUM_SAMPLES": "1",
        "RAY_MAX_EPOCHS": "2",
        "RAY_GRACE_PERIOD": "1",
        "MLFLOW_EXPERIMENT_NAME": EXPERIMENT,
        "DRIFT_MLFLOW_EXPERIMENT_NAME": f"{EXPERIMENT}-checks",
        "MODEL_NAME": MODEL_NAME,
        "MIN_SAMPLE_SIZE": "200",
        # The first model's test split has 600 rows: its F1 is known to about ±0.04, so the
        # production default of 0.05 would call noise a performance drop. This test is about drift.
        "DRIFT_PERFORMANCE_DROP": "0.2",
        "DRIFT_ALERT_COOLDOWN_HOURS": "6",
        "SLACK_WEBHOOK_URL": webhook.url,
    }


@pytest.fixture(scope="module")
def raw_data(drift_env):
    # This test's bucket, and the improvement DAG's default one: a run drift starts writes its
    # prepared data where the DAG's default prepared_data_uri says, as in a deployment.
    for bucket in (BUCKET, "health-predict-data"):
        urllib.request.urlopen(urllib.request.Request(f"{drift_env['AWS_ENDPOINT_URL_S3']}/{bucket}", method="PUT"), timeout=30).close()  # S3 CreateBucket
    cli("data", "synth", "--rows", "20000", "--seed", "11", "--drift-from-row", "8000", "--drift-features", SHIFTED, "--out", RAW_URI, env=drift_env)
    return RAW_URI


def drift_conf(**extra) -> dict:
    return {"raw_data_uri": RAW_URI, "batch_size": 4000, "monitoring_uri": MONITORING_URI, "notification_channels": ["log", "slack"], "deploy_target": "registry", **extra}


def pipeline_conf(**extra) -> dict:
    return {"raw_data_uri": RAW_URI, "prepared_data_uri": f"s3://{BUCKET}/prepared", "notification_channels": ["log"], "deploy_target": "registry", **extra}


def states(run) -> dict[str, str | None]:
    return {task: state for task, (state, _) in run.task_states().items()}


def triggered_runs(run) -> list[tuple[dict, str]]:
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    with run.db.session() as session:
        rows = session.execute(select(DagRun.conf, DagRun.run_type).where(DagRun.dag_id == PIPELINE_DAG, DagRun.run_type == "operator_triggered")).all()
    return [(conf, str(getattr(run_type, "value", run_type))) for conf, run_type in rows]


@pytest.fixture(scope="module")
def before_production(airflow_runs, drift_env, raw_data):
    return airflow_runs.dags_test(DRIFT_DAG, drift_conf(), env=drift_env)


@pytest.fixture(scope="module")
def first_model(before_production, airflow_runs, drift_env, raw_data):
    run = airflow_runs.dags_test(PIPELINE_DAG, pipeline_conf(), timeout=900, env=drift_env)
    assert run.state() == "success", run.log_tail()
    return run.xcom_returns()["register_and_promote_model"]


@pytest.fixture(scope="module")
def no_drift(first_model, airflow_runs, drift_env):
    return airflow_runs.dags_test(DRIFT_DAG, drift_conf(), env=drift_env)


@pytest.fixture(scope="module")
def major_drift(no_drift, airflow_runs, drift_env):
    return airflow_runs.dags_test(DRIFT_DAG, drift_conf(), env=drift_env)


@pytest.fixture(scope="module")
def retraining(major_drift, airflow_runs, drift_env):
    (conf, _), = triggered_runs(major_drift)
    return airflow_runs.dags_test(PIPELINE_DAG, conf, timeout=900, env=drift_env)


@pytest.fixture(scope="module")
def inside_cooldown(retraining, airflow_runs, drift_env):
    return airflow_runs.dags_test(DRIFT_DAG, drift_conf(), env=drift_env)


def test_without_a_production_model_nothing_is_taken(before_production, stack_env):
    got = states(before_production)
    assert got["take_next_batch"] == "skipped", before_production.log_tail()
    assert all(state == "skipped" for task, state in got.items() if task != "take_next_batch"), got
    assert "nothing to measure drift against" in before_production.log_tail(400)
    assert not s3_exists(stack_env, f"{MONITORING_URI}/cursor.json")


def test_a_batch_without_drift_is_none_and_triggers_nothing(no_drift, webhook, stack_env):
    got = states(no_drift)
    check = no_drift.xcom_returns()["measure_drift"]
    assert (check["level"], check["action"]) == ("NONE", "none"), check["reasons"]
    assert check["batch_index"] == 1
    assert got["no_action"] == "success" and got["end"] == "success", got
    assert (got[TRIGGER], got["notify_drift_retraining"], got["notify_drift_warning"]) == ("skipped",) * 3, got
    assert triggered_runs(no_drift) == []
    report = json.loads(s3_get(stack_env, check["report_uri"]))
    assert report["decision"]["level"] == "NONE" and report["batch"]["index"] == 1
    assert b"<svg" in s3_get(stack_env, check["picture_uri"])
    run = get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/runs/get?run_id={check['mlflow_run_id']}")["run"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["health_predict.drift_level"] == "NONE" and tags["health_predict.drift_action"] == "none"


def test_major_drift_triggers_the_improvement_dag_with_the_batches(major_drift, first_model, webhook):
    got = states(major_drift)
    check = major_drift.xcom_returns()["measure_drift"]
    assert check["level"] in ("MAJOR", "PERFORMANCE_DROP") and check["drift_level"] == "MAJOR", check["reasons"]
    assert check["action"] == "retrain" and check["batch_index"] == 2
    assert check["score_source"] in SHIFTED.split(",") or check["score_source"] == "prediction", check
    assert check["production_version"] == first_model["version"]
    assert (got[TRIGGER], got["notify_drift_retraining"], got["end"]) == ("success",) * 3, got
    assert (got["notify_drift_warning"], got["no_action"]) == ("skipped", "skipped"), got
    (conf, run_type), = triggered_runs(major_drift)
    assert run_type == "operator_triggered"
    assert conf["raw_data_uri"] == RAW_URI and conf["deploy_target"] == "registry"
    assert conf["training_batches"] == [f"{MONITORING_URI}/batches/batch-0001.csv", f"{MONITORING_URI}/batches/batch-0002.csv"], conf
    assert conf["drift_level"] == check["level"] and conf["drift_report_uri"] == check["report_uri"]
    assert any("retraining" in text and "batch 2" in text for text in webhook.texts()), webhook.texts()


def test_the_triggered_run_trains_on_reference_and_batches_and_decides(retraining, major_drift, drift_env):
    assert retraining.state() == "success", retraining.log_tail()
    xcom = retraining.xcom_returns()
    manifest = xcom["prepare_training_data"]
    assert manifest["split"]["kind"] == "arrived", manifest["split"]
    files = manifest["files"]
    # Reference (4 000 raw rows) + batch 1 (4 000) + half of batch 2 → train; a quarter each → validation, test.
    assert files["train"]["raw_rows"] == 4000 + 4000 + 2000
    assert files["validation"]["raw_rows"] == 1000 and files["test"]["raw_rows"] == 1000
    assert "future" not in files
    outcome = xcom["compare_against_production"]
    assert outcome["decision"] in ("DEPLOY", "DEPLOY_REFRESH", "SKIP")
    assert outcome["production"] is not None and outcome["rows"] == files["test"]["rows"], "candidate and production compared on the newest rows"
    run = get_json(f"{drift_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/runs/get?run_id={outcome['decision_run_id']}")["run"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    check = major_drift.xcom_returns()["measure_drift"]
    assert (tags["health_predict.trigger"], tags["health_predict.drift_level"], tags["health_predict.drift_report"]) == ("drift", check["level"], check["report_uri"])
    history = cli("history", "--json", env=drift_env)
    assert any(entry["kind"] == "drift" for entry in json.loads(history)), history


def test_a_second_drift_inside_the_cooldown_does_not_trigger_again(inside_cooldown, major_drift):
    got = states(inside_cooldown)
    check = inside_cooldown.xcom_returns()["measure_drift"]
    assert check["batch_index"] == 3
    assert check["level"] in ("MODERATE", "MAJOR", "PERFORMANCE_DROP"), check["reasons"]
    assert check["action"] == "none" and "cooldown" in check["action_reason"], check["action_reason"]
    assert got[TRIGGER] == "skipped" and got["no_action"] == "success", got
    assert triggered_runs(inside_cooldown) == [], "this run started nothing (each `dags test` keeps its own database)"


# Reads through the project's own object store (signed S3 requests; moto refuses unsigned reads).
_READ_OBJECT = """
import { createObjectStore } from './src/data/object-store.ts';
const store = createObjectStore();
const uri = process.argv.at(-1);
if (!(await store.exists(uri))) process.exit(3);
process.stdout.write((await store.get(uri)).body);
"""


def _read_object(stack_env, uri: str) -> subprocess.CompletedProcess:
    return subprocess.run(["node", "--import", "tsx", "--input-type=module", "-e", _READ_OBJECT, uri], cwd=REPO, env={**os.environ, **stack_env},
                          capture_output=True, timeout=60)


def s3_get(stack_env, uri: str) -> bytes:
    done = _read_object(stack_env, uri)
    assert done.returncode == 0, f"reading {uri}: exit {done.returncode}: {done.stderr.decode()}"
    return done.stdout


def s3_exists(stack_env, uri: str) -> bool:
    done = _read_object(stack_env, uri)
    assert done.returncode in (0, 3), f"reading {uri}: exit {done.returncode}: {done.stderr.decode()}"
    return done.returncode == 0
