"""The pipeline's failure paths in real Airflow, production state checked after each.

Same platform as test_pipeline_run.py (pipeline_platform.py: a private stack, the local
cluster when this machine has one, the webhook receiver, version 1 in production from the first
run). Faults are real: a missing bucket, MLflow going away (a proxy in front of the real server,
fault_proxy.py, closes connections as a stopped server would), an image whose model file is not
the promoted one, a registry password that is wrong, a task process SIGKILLed. Airflow's retry
delay is cut to seconds by the test lane's cluster policy (airflow_local_settings.py); the
retries themselves are Airflow's.

a. prepare_training_data fails (missing bucket): rollback_deployment is skipped, one failure
   notification, production unchanged.
e. MLflow unreachable from compare_against_production's first request on: three tries, the run
   fails, nothing promoted, rollback skipped.
c. The image answers wrong predictions (its model file is the production model's, not the
   candidate's): test_api_locally fails without retries, push and rollout never run, the
   rollback puts `production` back on the previous version, the cluster is untouched.
f. The registry refuses the push (wrong password): one try, registry restored, cluster untouched.
b+g. register_and_promote_model is SIGKILLed right after MLflow created the version, and its
   retry meets MLflow stopping right after `previous` moved: the third try completes with one
   new version and one alias move. Runs last: it leaves the new version in production.

Training in these runs is cut to one lr trial: what is under test starts after it.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request

import pytest
from fault_proxy import Fault, FaultProxy
from pipeline_platform import BUCKET, DAG_ID, K8S_PATH, MODEL_NAME, cli, conf_for, get_json, production_version, served_version

pytestmark = pytest.mark.airflow_run

@pytest.fixture(scope="module")
def proxy(stack_env):
    fault_proxy = FaultProxy(stack_env["MLFLOW_TRACKING_URI"])
    yield fault_proxy
    fault_proxy.close()


@pytest.fixture(autouse=True)
def no_fault_left(request):
    yield
    if "proxy" in request.fixturenames:
        request.getfixturevalue("proxy").restore()


@pytest.fixture(scope="module")
def failure_env(run_env, proxy):
    return {**run_env, "MLFLOW_TRACKING_URI": proxy.url, "HP_TEST_RETRY_DELAY_S": "3", "TRAINING_MODEL_TYPES": "lr", "RAY_NUM_SAMPLES": "1"}


def versions(stack_env) -> list[str]:
    query = urllib.parse.urlencode({"filter": f"name='{MODEL_NAME}'", "max_results": 1000})
    return sorted((v["version"] for v in get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/model-versions/search?{query}").get("model_versions", [])), key=int)


def aliases(stack_env) -> dict[str, str]:
    query = urllib.parse.urlencode({"name": MODEL_NAME})
    model = get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/get?{query}")["registered_model"]
    return {entry["alias"]: entry["version"] for entry in model.get("aliases", [])}


def notifications(webhook, run, kind: str) -> list[str]:
    return [text for text in webhook.texts() if f"run {run.run_id} · {kind}" in text]


def deployment_revision(cluster) -> str | None:
    if not cluster["available"]:
        return None
    return kubectl(cluster, "get", "deployment", "health-predict-api", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}")


def kubectl(cluster, *args: str) -> str:
    proc = subprocess.run([*cluster["kubectl"], *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def other_raw_uri(stack_env):
    """Raw data from another seed: a candidate trained on it scores differently from version 1."""
    uri = f"s3://{BUCKET}/raw/other_diabetic_data.csv"
    cli("data", "synth", "--rows", "10000", "--seed", "8", "--out", uri, env=stack_env)
    return uri


def test_a_failure_before_promotion_skips_the_rollback_and_notifies_once(airflow_runs, failure_env, raw_uri, production_after_first, stack_env, webhook):
    before = versions(stack_env)
    conf = {**conf_for(raw_uri, {"available": False}), "raw_data_uri": "s3://hp-no-such-bucket/raw/diabetic_data.csv"}
    run = airflow_runs.dags_test(DAG_ID, conf, timeout=600, env=failure_env)
    assert run.state() == "failed"
    states = run.task_states()
    assert states["prepare_training_data"][0] == "failed", run.log_tail(80)
    assert states["rollback_deployment"][0] == "skipped", run.log_tail(80)
    assert "register_and_promote_model is upstream_failed" in run.log_path.read_text(errors="replace")
    assert {task: state for task, (state, _) in states.items() if task not in ("start", "prepare_training_data", "rollback_deployment")} == dict.fromkeys(
        set(states) - {"start", "prepare_training_data", "rollback_deployment"}, "upstream_failed"
    )
    failures = notifications(webhook, run, "pipeline_failure")
    assert len(failures) == 1 and "prepare_training_data" in failures[0], webhook.texts()
    assert not notifications(webhook, run, "rollback")
    assert production_version(stack_env)["version"] == production_after_first["version"]
    assert versions(stack_env) == before


def test_e_mlflow_unreachable_during_compare_is_retried_then_fails_safe(airflow_runs, failure_env, raw_uri, proxy, production_after_first, stack_env, webhook):
    before = versions(stack_env)
    # compare_against_production's first request asks for the production alias; from then on MLflow is gone.
    outage = proxy.add(Fault("GET", r"/registered-models/alias\?", "outage", after_forward=False))
    run = airflow_runs.dags_test(DAG_ID, {**conf_for(raw_uri, {"available": False}), "force_deployment": True}, timeout=900, env=failure_env)
    assert outage.fired_at is not None, run.log_tail(80)
    states = run.task_states()
    assert states["compare_against_production"] == ("failed", 3), run.log_tail(120)  # the first try and Airflow's two retries
    assert [state for _, state in run.task_history()["compare_against_production"]] == ["failed", "failed"]
    assert run.state() == "failed"
    assert states["register_and_promote_model"][0] == "upstream_failed"
    assert states["rollback_deployment"][0] == "skipped"
    assert len(notifications(webhook, run, "pipeline_failure")) == 1
    assert production_version(stack_env)["version"] == production_after_first["version"]
    assert versions(stack_env) == before


def test_c_an_image_with_wrong_predictions_is_never_pushed_and_production_goes_back(
    airflow_runs, failure_env, other_raw_uri, proxy, production_after_first, stack_env, cluster, webhook
):
    production = production_after_first
    wrong_model = urllib.request.urlopen(
        f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow-artifacts/artifacts/{artifact_path(stack_env, production)}", timeout=60
    ).read()
    # After the promotion, the first download of a model file (build_api_image's) gets version 1's model instead.
    swap = proxy.add(Fault("GET", r"/model\.onnx$", "replace_body", armed_by=("POST", r"/registered-models/alias$"), body=wrong_model))
    revision = deployment_revision(cluster)
    run = airflow_runs.dags_test(DAG_ID, {**conf_for(other_raw_uri, cluster), "force_deployment": True}, timeout=900, env=failure_env)
    assert swap.fired_at is not None, run.log_tail(80)
    states = run.task_states()
    assert states["test_api_locally"] == ("failed", 1), run.log_tail(150)  # wrong predictions: not retried
    assert "failed its local API test" in run.log_path.read_text(errors="replace")
    assert {task: states[task][0] for task in ("push_to_ecr",) + K8S_PATH} == dict.fromkeys(("push_to_ecr",) + K8S_PATH, "upstream_failed")
    assert states["rollback_deployment"][0] == "success", run.log_tail(150)
    failed_version = run.xcom_returns()["register_and_promote_model"]["version"]
    rollback = run.xcom_returns()["rollback_deployment"]
    assert rollback["registry"] == {"restored": production["version"], "failed": failed_version}
    assert rollback["cluster"]["action"] == "not_needed"
    assert aliases(stack_env) == {"production": production["version"]}
    assert run.state() == "failed"
    if cluster["available"]:
        assert deployment_revision(cluster) == revision  # the cluster was not touched
        assert served_version(cluster) == production["version"]
    assert len(notifications(webhook, run, "rollback")) == 1


def test_f_a_refused_push_fails_at_once_and_the_registry_is_restored(airflow_runs, failure_env, raw_uri, production_after_first, stack_env, cluster, webhook):
    revision = deployment_revision(cluster)
    env = {**failure_env, "HP_LOCAL_REGISTRY_PASSWORD": "not-the-registry-password"}
    run = airflow_runs.dags_test(DAG_ID, {**conf_for(raw_uri, cluster), "force_deployment": True}, timeout=900, env=env)
    states = run.task_states()
    assert states["push_to_ecr"] == ("failed", 1), run.log_tail(150)  # refused credentials: no retries
    assert "refused the push" in run.log_path.read_text(errors="replace")
    assert {task: states[task][0] for task in K8S_PATH} == dict.fromkeys(K8S_PATH, "upstream_failed")
    assert states["rollback_deployment"][0] == "success", run.log_tail(150)
    assert run.xcom_returns()["rollback_deployment"]["registry"]["restored"] == production_after_first["version"]
    assert aliases(stack_env) == {"production": production_after_first["version"]}
    if cluster["available"]:
        assert deployment_revision(cluster) == revision
        assert served_version(cluster) == production_after_first["version"]
    assert run.state() == "failed"


def test_bg_an_interrupted_promotion_is_finished_by_its_retry_without_a_second_version(airflow_runs, failure_env, raw_uri, proxy, production_after_first, stack_env):
    before = versions(stack_env)
    killed = proxy.add(Fault("POST", r"/model-versions/create$", "kill_client"))
    # The retry's first alias write (previous) reaches MLflow, then MLflow stops for 6 s: longer
    # than the client's own retries (< 4 s), shorter than Airflow's retry delay (10 s).
    stopped = proxy.add(Fault("POST", r"/registered-models/alias$", "outage", seconds=6))
    env = {**failure_env, "HP_TEST_RETRY_DELAY_S": "10"}
    run = airflow_runs.dags_test(DAG_ID, {**conf_for(raw_uri, {"available": False}), "force_deployment": True, "deploy_target": "registry"}, timeout=900, env=env)
    assert killed.killed_pid is not None and stopped.fired_at is not None, run.log_tail(120)
    assert run.task_states()["register_and_promote_model"] == ("success", 3), run.log_tail(150)
    assert [state for _, state in run.task_history()["register_and_promote_model"]] == ["failed", "failed"]
    assert run.state() == "success", run.log_tail(80)
    promotion = run.xcom_returns()["register_and_promote_model"]
    assert promotion["reused"] is True
    after = versions(stack_env)
    assert after == before + [promotion["version"]]  # exactly one new version
    assert aliases(stack_env) == {"production": promotion["version"], "previous": production_after_first["version"]}
    tags = {tag["key"]: tag["value"] for tag in production_version(stack_env).get("tags", [])}
    assert len(json.loads(tags["health_predict.production_periods"])) == 1  # one alias move, recorded once


def artifact_path(stack_env, version: dict) -> str:
    """The proxy path of a registered version's ONNX file: the run's artifact root + its onnx_path tag."""
    tags = {tag["key"]: tag["value"] for tag in version.get("tags", [])}
    run = get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/runs/get?run_id={version['run_id']}")["run"]
    root = run["info"]["artifact_uri"].split("mlflow-artifacts:", 1)[1].lstrip("/")
    return f"{root}/{tags['health_predict.onnx_path']}"
