"""The pipeline in real Airflow against real services, both decision paths and the failure handler.

`airflow dags test health_predict_continuous_improvement` with a private stack (MLflow with
SQLite and served artifacts, moto for the S3 API) started through the project's own
`health-predict stack` command, on synthetic data uploaded with `health-predict data synth`,
and a local HTTP sink standing in for the Slack webhook (notifications are really sent).

1. First run: no production model yet → DEPLOY (bootstrap) → register_and_promote_model →
   build_api_image (real dockerd) → test_api_locally (the container) → push_to_ecr (moto's
   ECR API + the local registry) → deploy_to_kubernetes (the local cluster, pulling from the
   registry with an image pull secret) → verify_deployment → post_deployment_health_check →
   notify_deployment_success; the skip path and the rollback are skipped; the registry's
   `production` alias points at the new version and the cluster serves it.
2. Second run on the same data and seed: the candidate is no better → SKIP →
   log_skip_decision → notify_no_deployment; production is unchanged.
3. A forced deployment whose health check cannot meet its latency budget: the rollout and its
   verification pass, the health check fails, rollback_deployment undoes the rollout and moves
   the production alias back; the run ends failed.
4. A run on corrupt data: prepare_training_data fails without retries and the DAG's failure
   handler (every task's on_failure_callback) sends the failure notification.

Without the local cluster (not root, or its binaries not built on this machine) runs 1–2 use
deploy_target "ecr": the Kubernetes tasks must then be skipped with their reason, and run 3 is
skipped with that reason.

Small HPO budgets keep it to a few minutes; the production settings are benchmarked in
trainer/bench_train.py instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from service_lanes import require_service

pytestmark = pytest.mark.airflow_run

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin/health-predict.mjs")]
DAG_ID = "health_predict_continuous_improvement"
BUCKET = "hp-pipeline-e2e"
MODEL_NAME = "health-predict-e2e"
TRAINING = ("prepare_training_data", "run_training_and_hpo", "evaluate_model_performance", "compare_against_production")
IMAGE_PATH = ("register_and_promote_model", "build_api_image", "test_api_locally", "push_to_ecr")
K8S_PATH = ("deploy_to_kubernetes", "verify_deployment", "post_deployment_health_check")
DEPLOY_PATH = IMAGE_PATH + K8S_PATH + ("notify_deployment_success",)
SKIP_PATH = ("log_skip_decision", "notify_no_deployment")


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    proc = subprocess.run([*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"health-predict {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


class WebhookSink:
    """A Slack-compatible incoming-webhook endpoint on loopback that keeps every JSON body."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [json.dumps(body, ensure_ascii=False) for body in self.received]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory):
    state = tmp_path_factory.mktemp("stack")
    # all services: MLflow, moto (S3 + ECR API), dockerd and the registry behind the ECR flow
    _cli("stack", "up", "--state-dir", str(state), "--services", "all", "--mlflow-port", "0", "--moto-port", "0", timeout=900)
    env: dict = {}
    try:
        env = json.loads(_cli("stack", "env", "--state-dir", str(state), "--json"))
        request = urllib.request.Request(f"{env['AWS_ENDPOINT_URL_S3']}/{BUCKET}", method="PUT")  # S3 CreateBucket
        urllib.request.urlopen(request, timeout=30).close()
        yield env
    finally:
        _remove_api_images(env.get("DOCKER_HOST"))
        subprocess.run([*CLI, "stack", "down", "--state-dir", str(state)], cwd=REPO, capture_output=True, timeout=120)


def _remove_api_images(docker_host: str | None) -> None:
    """The runs' API images (local and registry tags). dockerd's vfs store keeps every layer as a
    whole copy of the file system, so leaving them would grow the machine's shared image store
    by about 1 GB per test run."""
    if not docker_host:
        return  # no daemon came up: nothing was built
    docker = {**os.environ, "DOCKER_HOST": docker_host}
    listed = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], env=docker,
                            capture_output=True, text=True, timeout=60)
    images = [ref for ref in listed.stdout.split() if ref.rsplit(":", 1)[0].split("/")[-1] == "health-predict-api"]
    if images:
        subprocess.run(["docker", "rmi", "--force", *images], env=docker, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def cluster(stack_env):
    """The local cluster and a namespace with the registry's pull secret, or the reason it cannot run here."""
    status = json.loads(_cli("cluster", "status", "--json"))
    if os.geteuid() != 0 or not status["binariesBuilt"]:
        reason = "not root" if os.geteuid() != 0 else "the cluster binaries are not built on this machine (health-predict cluster up builds them once)"
        yield {"available": False, "reason": reason, "env": {}}
        return
    _cli("cluster", "up", timeout=600)
    status = json.loads(_cli("cluster", "status", "--json"))
    namespace = f"hp-e2e-{os.getpid()}"
    _cli("cluster", "pull-secret", "--namespace", namespace, "--name", "e2e-registry", env={**stack_env, "KUBECONFIG": status["kubeconfig"]})
    env = {
        "KUBECONFIG": status["kubeconfig"],
        "K8S_NAMESPACE": namespace,
        "K8S_IMAGE_PULL_SECRET": "e2e-registry",
        "K8S_PROGRESS_DEADLINE_S": "120",
        "HEALTH_CHECK_WINDOW_S": "10",
        "HEALTH_CHECK_INTERVAL_MS": "200",
        "HEALTH_CHECK_MIN_REQUESTS": "10",
    }
    kubectl = [status["kubectl"], "--kubeconfig", status["kubeconfig"], "--namespace", namespace]
    try:
        yield {"available": True, "env": env, "kubectl": kubectl, "namespace": namespace}
    finally:
        subprocess.run([status["kubectl"], "--kubeconfig", status["kubeconfig"], "delete", "namespace", namespace, "--wait=false"], capture_output=True, timeout=60)


def _served_version(cluster) -> str:
    """The model version the Service answers with, through the API server's service proxy."""
    proc = subprocess.run([*cluster["kubectl"], "get", "--raw", f"/api/v1/namespaces/{cluster['namespace']}/services/health-predict-api:http/proxy/model-info"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["version"]


@pytest.fixture(scope="module")
def webhook():
    sink = WebhookSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def run_env(stack_env, webhook, cluster):
    return {
        **stack_env,
        **cluster["env"],
        "TRAINING_MODEL_TYPES": "lr,xgb",
        "RAY_NUM_SAMPLES": "2",
        "RAY_MAX_EPOCHS": "2",
        "RAY_GRACE_PERIOD": "1",
        "MLFLOW_EXPERIMENT_NAME": "health-predict-e2e",
        "MODEL_NAME": MODEL_NAME,
        # 10 000 synthetic raw rows give a ~290-row test split (origin split); the production
        # minimum of 1 000 rows would SKIP every run. The sample-size rule has its own tests.
        "MIN_SAMPLE_SIZE": "200",
        "SLACK_WEBHOOK_URL": webhook.url,
    }


@pytest.fixture(scope="module")
def raw_uri(stack_env):
    uri = f"s3://{BUCKET}/raw/diabetic_data.csv"
    _cli("data", "synth", "--rows", "10000", "--seed", "7", "--out", uri, env=stack_env)
    return uri


def _conf(raw_uri: str, cluster: dict) -> dict:
    return {"raw_data_uri": raw_uri, "prepared_data_uri": f"s3://{BUCKET}/prepared", "notification_channels": ["log", "slack"],
            "deploy_target": "kubernetes" if cluster["available"] else "ecr"}


@pytest.fixture(scope="module")
def first_run(airflow_runs, run_env, raw_uri, cluster):
    return airflow_runs.dags_test(DAG_ID, _conf(raw_uri, cluster), timeout=900, env=run_env)


@pytest.fixture(scope="module")
def production_after_first(first_run, stack_env):
    query = urllib.parse.urlencode({"name": MODEL_NAME, "alias": "production"})
    return _get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]


@pytest.fixture(scope="module")
def second_run(production_after_first, airflow_runs, run_env, raw_uri, cluster):
    return airflow_runs.dags_test(DAG_ID, _conf(raw_uri, cluster), timeout=900, env=run_env)


def _states(run, tasks) -> dict[str, str | None]:
    states = run.task_states()
    return {task: states.get(task, (None, 0))[0] for task in tasks}


def test_first_run_deploys_the_first_model(first_run, cluster):
    ran = TRAINING + (DEPLOY_PATH if cluster["available"] else IMAGE_PATH + ("notify_deployment_success",)) + ("end",)
    assert _states(first_run, ran) == dict.fromkeys(ran, "success"), first_run.log_tail(150)
    assert _states(first_run, SKIP_PATH + ("rollback_deployment",)) == dict.fromkeys(SKIP_PATH + ("rollback_deployment",), "skipped")
    if not cluster["available"]:
        assert _states(first_run, K8S_PATH) == dict.fromkeys(K8S_PATH, "skipped")
        assert "deploy_target is 'ecr': the Kubernetes rollout" in Path(first_run.log_path).read_text(errors="replace")
    assert first_run.state() == "success"
    outcome = first_run.xcom_returns()["compare_against_production"]
    assert (outcome["decision"], outcome["bootstrap_deploy"], outcome["production"]) == ("DEPLOY", True, None)


def test_manifest_and_champion_are_typed_xcom(first_run):
    xcom = first_run.xcom_returns()
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
    # The synthetic data carries a learnable signal, measured at test ROC AUC 0.56-0.64 over seeds 7-11
    # on a test split this size (~290 rows, so one draw varies by about 0.035): well above chance, not above 0.6.
    assert metrics["roc_auc"] > 0.55


def test_plots_are_in_the_champion_run(first_run, stack_env):
    champion = first_run.xcom_returns()["evaluate_model_performance"]["champion"]
    query = urllib.parse.urlencode({"run_id": champion["run_id"], "path": "evaluation"})
    files = {Path(entry["path"]).name for entry in _get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/artifacts/list?{query}").get("files", [])}
    assert {"roc_curve.svg", "precision_recall_curve.svg", "confusion_matrix.svg"} <= files


def test_first_run_promoted_the_champion_with_an_audit_trail(first_run, production_after_first):
    promotion = first_run.xcom_returns()["register_and_promote_model"]
    champion = first_run.xcom_returns()["evaluate_model_performance"]["champion"]
    version = production_after_first
    assert version["version"] == promotion["version"] and version["run_id"] == champion["run_id"]
    assert promotion["previous_version"] is None
    tags = {tag["key"]: tag["value"] for tag in version.get("tags", [])}
    assert tags["health_predict.decision"] == "DEPLOY"
    assert tags["health_predict.dag_run_id"] == first_run.run_id
    assert json.loads(tags["health_predict.production_periods"])[-1]["to"] is None


def test_first_run_built_tested_and_pushed_the_image(first_run, production_after_first):
    xcom = first_run.xcom_returns()
    image, api_test, pushed = xcom["build_api_image"], xcom["test_api_locally"], xcom["push_to_ecr"]
    assert image["model_version"] == production_after_first["version"]
    assert image["tag"].startswith(f"v{production_after_first['version']}-")
    assert api_test["passed"] and all(check["passed"] for check in api_test["checks"])
    assert api_test["latency"]["requests"] > 0 and api_test["latency"]["p95_ms"] > 0
    assert pushed["digest"].startswith("sha256:") and pushed["image_ref"].endswith(pushed["digest"])


def test_first_run_rolled_out_verified_and_health_checked(first_run, production_after_first, cluster):
    require_service(cluster["available"], f"no local cluster: {cluster.get('reason')}")
    xcom = first_run.xcom_returns()
    deployed, verified, health = xcom["deploy_to_kubernetes"], xcom["verify_deployment"], xcom["post_deployment_health_check"]
    assert deployed["model_version"] == production_after_first["version"] and deployed["previous"] is None
    assert deployed["image"] == xcom["push_to_ecr"]["image_ref"]
    assert verified["model_info"]["version"] == production_after_first["version"], verified
    assert health["passed"] and health["requests"] >= 10, health
    assert _served_version(cluster) == production_after_first["version"]


def test_second_run_skips_and_keeps_production(second_run, production_after_first, stack_env):
    assert _states(second_run, TRAINING + SKIP_PATH + ("end",)) == dict.fromkeys(TRAINING + SKIP_PATH + ("end",), "success"), second_run.log_tail(150)
    assert _states(second_run, DEPLOY_PATH) == dict.fromkeys(DEPLOY_PATH, "skipped")
    outcome = second_run.xcom_returns()["compare_against_production"]
    assert outcome["decision"] == "SKIP" and not outcome["forced"]
    assert outcome["production"]["version"] == production_after_first["version"]
    assert [rule for rule in outcome["rules"] if rule["name"] == "performance"][0]["passed"] is False
    skip = second_run.xcom_returns()["log_skip_decision"]
    assert skip["recommendations"] and skip["next_training_date"]
    query = urllib.parse.urlencode({"name": MODEL_NAME, "alias": "production"})
    still = _get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]
    assert still["version"] == production_after_first["version"]


def test_each_decision_is_its_own_mlflow_run(first_run, second_run, stack_env):
    for run, decision in ((first_run, "DEPLOY"), (second_run, "SKIP")):
        run_id = run.xcom_returns()["compare_against_production"]["decision_run_id"]
        found = _get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/runs/get?run_id={run_id}")["run"]
        tags = {tag["key"]: tag["value"] for tag in found["data"].get("tags", [])}
        assert tags["health_predict.decision"] == decision
        assert tags["health_predict.dag_run_id"] == run.run_id


def test_notifications_reached_the_webhook(first_run, second_run, webhook):
    texts = webhook.texts()
    assert any("promoted to production" in text for text in texts), texts
    assert any("No deployment" in text for text in texts), texts
    for run in (first_run, second_run):
        assert "secret-token" not in Path(run.log_path).read_text(errors="replace")  # the webhook URL is a secret


def test_failed_health_check_rolls_back_cluster_and_registry(second_run, production_after_first, airflow_runs, run_env, raw_uri, cluster, stack_env, webhook):
    require_service(cluster["available"], f"no local cluster: {cluster.get('reason')}")
    # A latency budget no service can meet: a real health-check failure of a healthy image.
    env = {**run_env, "HEALTH_CHECK_P95_MS": "1"}
    run = airflow_runs.dags_test(DAG_ID, {**_conf(raw_uri, cluster), "force_deployment": True}, timeout=900, env=env)
    states = _states(run, K8S_PATH + ("rollback_deployment", "notify_deployment_success"))
    assert states == {
        "deploy_to_kubernetes": "success", "verify_deployment": "success", "post_deployment_health_check": "failed",
        "rollback_deployment": "success", "notify_deployment_success": "upstream_failed",
    }, run.log_tail(150)
    assert run.state() == "failed"
    xcom = run.xcom_returns()
    failed_version = xcom["register_and_promote_model"]["version"]
    rollback = xcom["rollback_deployment"]
    assert rollback["cluster"]["action"] == "rolled_back", rollback
    assert rollback["cluster"]["restored_model_version"] == production_after_first["version"]
    assert rollback["registry"] == {"restored": production_after_first["version"], "failed": failed_version}
    assert rollback["detection_to_restored_s"] > 0
    assert _served_version(cluster) == production_after_first["version"]
    query = urllib.parse.urlencode({"name": MODEL_NAME, "alias": "production"})
    assert _get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]["version"] == production_after_first["version"]
    rollbacks = [text for text in webhook.texts() if f"v{failed_version} failed on the deploy path" in text]
    assert rollbacks and all("· rollback" in text for text in rollbacks), webhook.texts()  # its own notification kind


def test_failure_handler_notifies_when_a_task_fails_for_good(second_run, airflow_runs, run_env, stack_env, webhook):
    corrupt = f"s3://{BUCKET}/raw/corrupt.csv"
    request = urllib.request.Request(
        f"{stack_env['AWS_ENDPOINT_URL_S3']}/{BUCKET}/raw/corrupt.csv", data=b"encounter_id,patient_nbr\n1,2\n", method="PUT"
    )
    urllib.request.urlopen(request, timeout=30).close()
    before = len(webhook.received)
    run = airflow_runs.dags_test(DAG_ID, {**_conf(corrupt, {"available": False})}, timeout=300, env=run_env)
    assert run.state() == "failed"
    assert run.task_states()["prepare_training_data"] == ("failed", 1), run.log_tail(80)  # non-retryable: one try
    failures = [text for text in webhook.texts()[before:] if "prepare_training_data" in text and "failed" in text]
    assert failures, webhook.texts()[before:]
