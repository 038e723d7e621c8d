"""The platform the pipeline runs in real Airflow share: a private stack, the local cluster, a
webhook receiver, synthetic raw data, and the first run that puts a model in production.

Session-scoped so that test_pipeline_run.py (the decision paths) and
test_pipeline_run_failures.py (the failure paths) run against one stack and one production
model; conftest.py imports the fixtures. The failure paths run after the decision paths (file
order) and leave production where they found it, except the promotion-retry run, which
promotes a new version on purpose and is the last to run.
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


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    proc = subprocess.run([*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"health-predict {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


class WebhookSink:
    """A Slack-compatible incoming-webhook endpoint on loopback that keeps every JSON body. While
    `refuse` is set, a body containing it is answered 403 invalid_token, as Slack answers a
    revoked webhook."""

    def __init__(self) -> None:
        received = self.received = []
        self.refuse: str | None = None
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(json.loads(body))
                refused = sink.refuse is not None and sink.refuse in body.decode("utf-8", "replace")
                self.send_response(403 if refused else 200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"invalid_token" if refused else b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [json.dumps(body, ensure_ascii=False) for body in self.received]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory):
    """A private stack for the session's pipeline runs (both test modules share it)."""
    state = tmp_path_factory.mktemp("stack")
    # all services: MLflow, moto (S3 + ECR API), dockerd and the registry behind the ECR flow
    cli("stack", "up", "--state-dir", str(state), "--services", "all", "--mlflow-port", "0", "--moto-port", "0", timeout=900)
    env: dict = {}
    try:
        env = json.loads(cli("stack", "env", "--state-dir", str(state), "--json"))
        request = urllib.request.Request(f"{env['AWS_ENDPOINT_URL_S3']}/{BUCKET}", method="PUT")  # S3 CreateBucket
        urllib.request.urlopen(request, timeout=30).close()
        yield env
    finally:
        remove_api_images(env.get("DOCKER_HOST"))
        subprocess.run([*CLI, "stack", "down", "--state-dir", str(state)], cwd=REPO, capture_output=True, timeout=120)


def remove_api_images(docker_host: str | None) -> None:
    """The runs' API images (local and registry tags): leaving them would grow the machine's shared
    image store with every test run (by about 1 GB under the vfs storage driver)."""
    if not docker_host:
        return  # no daemon came up: nothing was built
    docker = {**os.environ, "DOCKER_HOST": docker_host}
    listed = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], env=docker,
                            capture_output=True, text=True, timeout=60)
    images = [ref for ref in listed.stdout.split() if ref.rsplit(":", 1)[0].split("/")[-1] == "health-predict-api"]
    if images:
        subprocess.run(["docker", "rmi", "--force", *images], env=docker, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def cluster(stack_env):
    """The local cluster and a namespace with the registry's pull secret, or the reason it cannot run here."""
    status = json.loads(cli("cluster", "status", "--json"))
    if os.geteuid() != 0 or not status["binariesBuilt"]:
        reason = "not root" if os.geteuid() != 0 else "the cluster binaries are not built on this machine (health-predict cluster up builds them once)"
        yield {"available": False, "reason": reason, "env": {}}
        return
    cli("cluster", "up", timeout=600)
    status = json.loads(cli("cluster", "status", "--json"))
    namespace = f"hp-e2e-{os.getpid()}"
    cli("cluster", "pull-secret", "--namespace", namespace, "--name", "e2e-registry", env={**stack_env, "KUBECONFIG": status["kubeconfig"]})
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


def served_version(cluster) -> str:
    """The model version the Service answers with, through the API server's service proxy."""
    proc = subprocess.run([*cluster["kubectl"], "get", "--raw", f"/api/v1/namespaces/{cluster['namespace']}/services/health-predict-api:http/proxy/model-info"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["version"]


@pytest.fixture(scope="session")
def webhook():
    sink = WebhookSink()
    yield sink
    sink.close()


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def raw_uri(stack_env):
    uri = f"s3://{BUCKET}/raw/diabetic_data.csv"
    cli("data", "synth", "--rows", "10000", "--seed", "7", "--out", uri, env=stack_env)
    return uri


def conf_for(raw_uri: str, cluster: dict) -> dict:
    return {"raw_data_uri": raw_uri, "prepared_data_uri": f"s3://{BUCKET}/prepared", "notification_channels": ["log", "slack"],
            "deploy_target": "kubernetes" if cluster["available"] else "ecr"}


@pytest.fixture(scope="session")
def first_run(airflow_runs, run_env, raw_uri, cluster):
    return airflow_runs.dags_test(DAG_ID, conf_for(raw_uri, cluster), timeout=900, env=run_env)


@pytest.fixture(scope="session")
def production_after_first(first_run, stack_env):
    query = urllib.parse.urlencode({"name": MODEL_NAME, "alias": "production"})
    return get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]


@pytest.fixture(scope="session")
def second_run(production_after_first, airflow_runs, run_env, raw_uri, cluster):
    return airflow_runs.dags_test(DAG_ID, conf_for(raw_uri, cluster), timeout=900, env=run_env)


def states_of(run, tasks) -> dict[str, str | None]:
    states = run.task_states()
    return {task: states.get(task, (None, 0))[0] for task in tasks}


def production_version(stack_env) -> dict:
    """The registry's `production` version of the pipeline's model, read from MLflow itself (not through any proxy)."""
    query = urllib.parse.urlencode({"name": MODEL_NAME, "alias": "production"})
    return get_json(f"{stack_env['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]
