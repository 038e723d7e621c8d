"""The manual rollback DAG (health_predict_rollback) in real Airflow, on the local cluster.

Runs after test_pipeline_run.py and test_pipeline_run_failures.py (file order) on their
platform (pipeline_platform.py). At that point the cluster serves the first run's version (v1,
its image recorded); the registry's production is a newer version promoted with deploy_target
'registry' (never deployed); the version of test_failed_health_check_rolls_back_cluster_and_registry
(v2) was rolled out, its image recorded, then rolled back.

Bad inputs first, each refused by plan_rollback with the registry aliases and the Deployment
unchanged: an unknown version, a version never deployed, no reason; a dry run only plans. Then a
rollback to v2 (v2 serves) and one back to v1: v1 serves, production=v1 / previous=v2, v2 carries
the manual rollback record of that dag run, one notification reached the webhook.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse

import pytest
from pipeline_platform import MODEL_NAME, get_json, served_version
from service_lanes import require_service

pytestmark = pytest.mark.airflow_run

ROLLBACK_DAG = "health_predict_rollback"
LATER_TASKS = ("roll_deployment_to_version", "restore_production_version", "notify_manual_rollback")
IMAGE_TAG = "health_predict.image"
ROLLBACK_TAG = "health_predict.rollback"


def model_versions(stack_env) -> dict[str, dict[str, str]]:
    """Every version of the pipeline's model and its tags."""
    query = urllib.parse.urlencode({"filter": f"name='{MODEL_NAME}'", "max_results": 1000})
    found = get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/model-versions/search?{query}").get("model_versions", [])
    return {v["version"]: {tag["key"]: tag["value"] for tag in v.get("tags", [])} for v in found}


def aliases(stack_env) -> dict[str, str]:
    query = urllib.parse.urlencode({"name": MODEL_NAME})
    model = get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/get?{query}")["registered_model"]
    return {entry["alias"]: entry["version"] for entry in model.get("aliases", [])}


def deployment(cluster) -> dict:
    proc = subprocess.run([*cluster["kubectl"], "get", "deployment", "health-predict-api", "-o", "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def snapshot(stack_env, cluster) -> dict:
    """What a refused rollback must leave as it was: the aliases, the Deployment's spec and generation."""
    current = deployment(cluster)
    return {"aliases": aliases(stack_env), "generation": current["metadata"]["generation"], "template": current["spec"]["template"]}


@pytest.fixture(scope="module")
def versions(cluster, stack_env, production_after_first):
    """v1 (serving), v2 (deployed then rolled back), a version never deployed, and production now."""
    require_service(cluster["available"], f"no local cluster: {cluster.get('reason')}")
    tags = model_versions(stack_env)
    v1 = production_after_first["version"]
    deployed = sorted((v for v, t in tags.items() if IMAGE_TAG in t and v != v1), key=int)
    assert len(deployed) == 1, tags  # the health-check run's version
    production = aliases(stack_env)["production"]
    never = sorted((v for v, t in tags.items() if IMAGE_TAG not in t and v != production), key=int)
    assert never, tags
    assert IMAGE_TAG not in tags[production]
    assert served_version(cluster) == v1
    return {"v1": v1, "v2": deployed[0], "never": never[0], "production": production}


def conf(to_version: str | None, reason: str = "v2 flags too many readmissions", **extra) -> dict:
    return {"to_version": to_version, "reason": reason, "notification_channels": ["log", "slack"], **extra}


@pytest.mark.parametrize(
    "case, message",
    [
        ("unknown", "the model has no such version"),
        ("never_deployed", "that version was never deployed"),
        ("no_reason", "a manual rollback needs a reason"),
    ],
)
def test_bad_input_is_refused_with_nothing_changed(case, message, versions, airflow_runs, run_env, stack_env, cluster, webhook):
    run_conf = {"unknown": conf("999"), "never_deployed": conf(versions["never"]), "no_reason": conf(versions["v2"], reason="")}[case]
    before = snapshot(stack_env, cluster)
    sent = len(webhook.received)
    run = airflow_runs.dags_test(ROLLBACK_DAG, run_conf, timeout=300, env=run_env)
    assert run.state() == "failed"
    states = run.task_states()
    assert states["plan_rollback"] == ("failed", 1), run.log_tail(80)  # a refusal: no retries
    assert {task: states[task][0] for task in LATER_TASKS} == dict.fromkeys(LATER_TASKS, "upstream_failed")
    assert message in run.log_path.read_text(errors="replace")
    assert snapshot(stack_env, cluster) == before
    assert len(webhook.received) == sent


def test_dry_run_only_plans(versions, airflow_runs, run_env, stack_env, cluster):
    before = snapshot(stack_env, cluster)
    run = airflow_runs.dags_test(ROLLBACK_DAG, conf(versions["v2"], dry_run=True), timeout=300, env=run_env)
    states = run.task_states()
    assert states["plan_rollback"][0] == "success", run.log_tail(80)
    assert {task: states[task][0] for task in LATER_TASKS} == dict.fromkeys(LATER_TASKS, "skipped"), run.log_tail(80)
    plan = run.xcom_returns()["plan_rollback"]
    assert plan["dry_run"] is True
    assert (plan["to_version"], plan["from_version"], plan["running"]["model_version"]) == (versions["v2"], versions["production"], versions["v1"])
    assert "dry run: the Deployment would be rolled" in run.log_path.read_text(errors="replace")
    assert snapshot(stack_env, cluster) == before


def test_roll_to_v2_then_back_to_v1(versions, airflow_runs, run_env, stack_env, cluster, webhook):
    v1, v2 = versions["v1"], versions["v2"]
    to_v2 = airflow_runs.dags_test(ROLLBACK_DAG, conf(v2), timeout=600, env=run_env)
    assert to_v2.state() == "success", to_v2.log_tail(150)
    assert served_version(cluster) == v2
    assert aliases(stack_env) == {"production": v2, "previous": versions["production"]}

    to_v1 = airflow_runs.dags_test(ROLLBACK_DAG, conf(v1, reason="back to the first model"), timeout=600, env=run_env)
    assert to_v1.state() == "success", to_v1.log_tail(150)
    xcom = to_v1.xcom_returns()
    assert xcom["roll_deployment_to_version"]["model_version"] == v1
    assert xcom["roll_deployment_to_version"]["verification"]["model_info"]["version"] == v1
    assert served_version(cluster) == v1
    template = deployment(cluster)["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == model_versions(stack_env)[v1][IMAGE_TAG]
    assert aliases(stack_env) == {"production": v1, "previous": v2}
    record = json.loads(model_versions(stack_env)[v2][ROLLBACK_TAG])
    assert record == {**record, "restored": v1, "trigger": "manual", "dag_id": ROLLBACK_DAG, "dag_run_id": to_v1.run_id, "reason": "back to the first model"}
    assert xcom["restore_production_version"] == {"restored": v1, "replaced": v2, "image": model_versions(stack_env)[v1][IMAGE_TAG], "at": record["at"]}
    sent = [text for text in webhook.texts() if f"run {to_v1.run_id} · rollback" in text]
    assert len(sent) == 1 and "Manual rollback" in sent[0] and "back to the first model" in sent[0], webhook.texts()
