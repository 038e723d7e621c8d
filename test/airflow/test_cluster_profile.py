"""The example DAG and the pipeline compiled with `--profile cluster`, run by real Airflow
(`airflow dags test`) with every Node task a pod on the local cluster (`health-predict cluster up`),
the task image pulled from the stack's registry.

The same runs as test_example_runs.py (fast route, thorough route with another message, a
non-retryable failure) must end in the same task states as under BashOperator: the branch, the
skip (exit 99), the retry of flaky_step, exit 97 failing without retries. Then no pod of the DAG is
left in the namespace. Each run logs, per task, how long its pod took from the request to Running;
the test prints that (pytest -s or the -rs summary's neighbour) (measured, never asserted: the first pod on a fresh node pulls the image).

The pipeline: prepare -> train -> evaluate -> compare -> the skip path (too few rows for the
sample-size rule), its pods reaching MLflow and the S3 API on the node's loopback and their AWS
keys only from the Secret `cluster task-secret` writes; a run whose first task fails for good,
whose failure handler runs as a pod (no Node on the worker) and logs the notification; and the
deploy path, every task a pod: the API image built on the node's Docker daemon (its socket
mounted, `dag build --docker-socket`), tested in a container there, pushed to the registry, then
rolled out, verified and health-checked by pods that reach the API server through in-cluster
config as the deployer service account (`cluster deployer`), the only one allowed to change the
Deployment.

Needs: root and the built, Ready local cluster; a stack with every service (the machine's running
one, else the session's private stack of the pipeline runs); the task image, named by
HEALTH_PREDICT_TASK_IMAGE or built and pushed to that stack's registry here with
`health-predict cluster task-image`; the registry's login as the namespace's pull secret
(`cluster pull-secret`). Without them the tests skip with the reason (under CI=true they fail).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from service_lanes import require_service
from test_example_runs import CONFS, FAST_ROUTE_STATES, OTHER_MESSAGE, PWNED

pytestmark = pytest.mark.airflow_run

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
DAG_ID = "health_predict_example"
EXAMPLE_SOURCE = REPO / "examples" / "branching-example.dag.ts"
PIPELINE_SOURCE = REPO / "src" / "pipeline" / "health-predict.dag.ts"
PIPELINE_DAG_ID = "health_predict_continuous_improvement"
PIPELINE_BUCKET = "hp-cluster-profile"
# Where the deploy run rolls the API out (the deployer's Role is there), and its pull secret.
DEPLOY_NAMESPACE = f"hp-cluster-deploy-{os.getpid()}"
DEPLOY_MODEL = f"hp-cluster-deploy-{os.getpid()}"  # no production version yet: the run deploys (bootstrap)
DEPLOY_STATES = dict.fromkeys(
    ("prepare_training_data", "run_training_and_hpo", "evaluate_model_performance", "compare_against_production", "register_and_promote_model",
     "build_api_image", "test_api_locally", "push_to_ecr", "deploy_to_kubernetes", "verify_deployment", "post_deployment_health_check",
     "notify_deployment_success"), "success") | {"rollback_deployment": "skipped", "log_skip_decision": "skipped", "notify_no_deployment": "skipped"}
# What the stack's services answer with; the pods get them from the Secret or the worker's environment.
PLATFORM_KEYS = {"MLFLOW_TRACKING_URI", "AWS_ENDPOINT_URL_S3", "DOCKER_HOST", "HP_LOCAL_REGISTRY", "HP_LOCAL_REGISTRY_PASSWORD"}
# The pods' own namespace (`dag build --namespace`), deleted afterwards; the pull secret the profiles name.
NAMESPACE = f"hp-cluster-profile-{os.getpid()}"
PULL_SECRET = "health-predict-registry"
RUN_TIMEOUT_S = 600
DEPLOY_RUN_TIMEOUT_S = 1200
POD_GONE_TIMEOUT_S = 90


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def _cli_ok(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    proc = _cli(*args, env=env, timeout=timeout)
    assert proc.returncode == 0, f"health-predict {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


def _cluster_or_reason() -> tuple[dict | None, str]:
    if os.geteuid() != 0:
        return None, "the local cluster needs root"
    proc = _cli("cluster", "status", "--json", timeout=60)
    if proc.returncode != 0:
        return None, f"`health-predict cluster status` failed: {proc.stderr.strip()[:300]}"
    status = json.loads(proc.stdout)
    if not status.get("binariesBuilt"):
        return None, "the cluster binaries are not built on this machine (`health-predict cluster up` builds them once)"
    if not status.get("nodeReady") or not status.get("kubeconfig"):
        return None, "the local cluster is not up (`health-predict cluster up`)"
    return status, ""


def _task_image_or_reason(platform_env: dict[str, str]) -> tuple[str | None, str]:
    """HEALTH_PREDICT_TASK_IMAGE, else the image built and pushed now by `cluster task-image`."""
    given = os.environ.get("HEALTH_PREDICT_TASK_IMAGE", "").strip()
    if given:
        return given, ""
    proc = _cli("cluster", "task-image", "--json", env=platform_env, timeout=1800)
    if proc.returncode != 0:
        return None, f"no HEALTH_PREDICT_TASK_IMAGE and `health-predict cluster task-image` failed: {proc.stderr.strip()[-400:]}"
    return json.loads(proc.stdout)["reference"], ""


def _running_stack_env() -> dict[str, str]:
    proc = _cli("stack", "env", "--json", timeout=60)
    try:
        return json.loads(proc.stdout) if proc.returncode == 0 else {}
    except ValueError:
        return {}


@pytest.fixture(scope="module")
def local_cluster(request):
    """The cluster, the stack its pods use (`env`), the task image, and the namespace with the
    registry's pull secret (deleted at the end)."""
    status, reason = _cluster_or_reason()
    require_service(status is not None, reason)
    platform_env = _running_stack_env()
    if not PLATFORM_KEYS <= platform_env.keys():
        platform_env = request.getfixturevalue("stack_env")  # the pipeline runs' private stack, every service
    image, reason = _task_image_or_reason(platform_env)
    require_service(image is not None, reason)
    kubeconfig = status["kubeconfig"]
    _cli_ok("cluster", "pull-secret", "--namespace", NAMESPACE, "--name", PULL_SECRET, env={**platform_env, "KUBECONFIG": kubeconfig})
    kubectl = [status["kubectl"], "--kubeconfig", kubeconfig, "--namespace", NAMESPACE]
    try:
        yield {"kubeconfig": kubeconfig, "image": image, "kubectl": kubectl, "env": platform_env, "admin": [status["kubectl"], "--kubeconfig", kubeconfig]}
    finally:
        for namespace in (NAMESPACE, DEPLOY_NAMESPACE):
            subprocess.run([status["kubectl"], "--kubeconfig", kubeconfig, "delete", "namespace", namespace, "--wait=false"], capture_output=True, timeout=60)
        # `cluster deployer`'s cluster-scoped half (the namespaced half goes with the namespaces)
        deployer = f"health-predict-deployer:{DEPLOY_NAMESPACE}"
        subprocess.run([status["kubectl"], "--kubeconfig", kubeconfig, "delete", "--ignore-not-found", f"clusterrole/{deployer}", f"clusterrolebinding/{deployer}:{NAMESPACE}"],
                       capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def cluster_dags(local_cluster, tmp_path_factory) -> Path:
    """The example alone, compiled for the local cluster: its task image, pods on the node's network."""
    out = tmp_path_factory.mktemp("cluster-profile-dags")
    _cli_ok("dag", "build", str(EXAMPLE_SOURCE), "--profile", "cluster", "--task-image", local_cluster["image"], "--namespace", NAMESPACE, "--host-network", "--out", str(out))
    text = (out / f"{DAG_ID}.py").read_text()
    assert f"image={local_cluster['image']!r}" in text and f"namespace={NAMESPACE!r}" in text and "hostnetwork=True" in text
    return out


@pytest.fixture(scope="module")
def runs(airflow_runs, cluster_dags, local_cluster):
    """The three runs of test_example_runs.py, started together; fixtures below wait."""
    PWNED.unlink(missing_ok=True)
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(cluster_dags), "KUBECONFIG": local_cluster["kubeconfig"]}
    return {name: airflow_runs.start(DAG_ID, conf, timeout=RUN_TIMEOUT_S, env=env) for name, conf in CONFS.items()}


@pytest.fixture(scope="module")
def finished(runs):
    done = {name: pending.wait() for name, pending in runs.items()}
    assert not PWNED.exists(), "a shell evaluated $(touch /tmp/hp-pwned) from a message"
    return done


def _states(run) -> dict[str, str | None]:
    return {task_id: state for task_id, (state, _) in run.task_states().items()}


_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z")
_BUILDING = re.compile(r"Building pod ([a-z0-9-]+)-[a-z0-9]{8} with labels")


def pod_start_seconds(log_path: Path) -> list[tuple[str, float]]:
    """(pod name without its random suffix, seconds from the pod request to Running) for each pod of
    a run, read from Airflow's log: `dags test` runs one task at a time, so the lines pair up."""
    starts, pending = [], None
    for line in log_path.read_text(errors="replace").splitlines():
        stamp = _TIMESTAMP.match(line)
        if not stamp:
            continue
        at = datetime.fromisoformat(stamp.group(1))
        if building := _BUILDING.search(line):
            pending = (building.group(1), at)
        elif pending and "Pod has reached Running phase" in line:
            starts.append((pending[0], (at - pending[1]).total_seconds()))
            pending = None
    return starts


# --------------------------------------------------------------------------- the same task states as under BashOperator


def test_fast_route_task_states(finished):
    run = finished["fast"]
    assert run.state() == "success", run.log_tail()
    full = run.task_states()
    assert _states(run) == FAST_ROUTE_STATES, run.log_tail()  # exit 99 -> skipped (skip_on_exit_code), not failed
    assert full["report.flaky_step"][1] == 2, "flaky_step fails on try 1 and must succeed on the retry"
    assert full["optional_export"][1] == 1, "the skip must happen on the first try, not after retries"
    history = run.task_history()
    assert set(history) == {"report.flaky_step"} and [t for t, _ in history["report.flaky_step"]] == [1], history


def test_fast_route_xcom_through_the_sidecar(finished, dag_inspect):
    run = finished["fast"]
    (param,) = [p for p in dag_inspect(DAG_ID)["params"] if p["name"] == "message"]
    message = param["default"]
    xcom = run.xcom_returns()
    assert xcom["prepare_batch"] == {"message": message, "rows": 100, "characters": len(message)}
    assert xcom["fast_path"] == {"path": "fast", "processed": 10}
    assert xcom["report.flaky_step"] == {"attempt": 2, "echoed": message}
    assert xcom["report.summarise"]["summary"] == f"{len(message)} characters arrived intact after 2 attempt(s)"
    assert "thorough_path" not in xcom and "optional_export" not in xcom, "skipped tasks push nothing"


def test_thorough_route_task_states(finished):
    run = finished["thorough"]
    assert run.state() == "success", run.log_tail()
    states = _states(run)
    assert (states["thorough_path"], states["fast_path"], states["join"], states["optional_export"]) == ("success", "skipped", "success", "skipped"), states
    xcom = run.xcom_returns()
    assert xcom["thorough_path"] == {"path": "thorough", "processed": 100}
    assert xcom["report.summarise"]["message"] == OTHER_MESSAGE


def test_exit_97_fails_without_retry(finished):
    run = finished["bad_rows"]
    assert run.state() == "failed", run.log_tail()
    full = run.task_states()
    assert full["prepare_batch"] == ("failed", 1), (full, run.log_tail())
    assert run.task_history() == {}, "no try was retried although retries=2"
    assert all(state in {"upstream_failed", None} for task_id, (state, _) in full.items() if task_id != "prepare_batch"), full
    log = run.log_path.read_text(errors="replace")
    assert "AirflowFailException" in log and "non-retryable" in log, run.log_tail()
    assert "rows >= 0" in log, "the task's own error message should reach the Airflow log (get_logs)"


# --------------------------------------------------------------------------- pods: logs, start latency, cleanup


# One log record as Airflow's console renderer writes it: time, [level padded], the text.
_RECORD = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[(\w+)\s*\] (.*)$")


def test_task_logs_reach_airflow_at_their_level(finished):
    """get_logs: the pod's log lines are in the task log, each JSON record re-logged at its own level,
    message first, as under BashOperator (test_task_logs.py)."""
    records = [match.groups() for line in finished["bad_rows"].log_path.read_text(errors="replace").splitlines() if (match := _RECORD.match(line))]
    assert ("info", "task started") in [(level, text.split("  ")[0].rstrip()) for level, text in records], finished["bad_rows"].log_tail()
    errors = [text for level, text in records if level == "error" and text.startswith("task failed; not retrying  error_name=BadDataError")]
    assert errors and "rows >= 0" in errors[0], finished["bad_rows"].log_tail()


def test_pod_start_latency(finished):
    starts = {name: pod_start_seconds(run.log_path) for name, run in finished.items()}
    for name, pods in starts.items():
        print(f"pod start (request -> Running), run {name}: " + ", ".join(f"{pod} {seconds:.1f}s" for pod, seconds in pods))
    fast = [pod for pod, _ in starts["fast"]]
    assert fast.count("report-flaky-step") == 2 and "optional-export" in fast, fast  # one pod per try
    # Measured, not asserted: the first pod on a fresh node pulls the 2.4 GB image (70-90 s here).


def assert_no_pod_left(local_cluster, dag_id: str) -> None:
    """No pod of `dag_id` in the namespace (a deleted pod may take its grace period to go)."""
    deadline = time.monotonic() + POD_GONE_TIMEOUT_S
    while True:
        proc = subprocess.run([*local_cluster["kubectl"], "get", "pods", "-l", f"dag_id={dag_id}", "-o", "name"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        left = proc.stdout.split()
        if not left or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert left == [], f"pods of {dag_id} still in namespace {NAMESPACE} {POD_GONE_TIMEOUT_S} s after the runs: {left}"


def test_no_pod_left(finished, local_cluster):
    assert_no_pod_left(local_cluster, DAG_ID)


OOM_SOURCE = REPO / "test" / "airflow" / "dags" / "pod-oom.dag.ts"


@pytest.fixture(scope="module")
def oom_run(airflow_runs, local_cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster-profile-oom")
    _cli_ok("dag", "build", str(OOM_SOURCE), "--profile", "cluster", "--task-image", local_cluster["image"], "--namespace", NAMESPACE, "--host-network", "--out", str(out))
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(out), "KUBECONFIG": local_cluster["kubeconfig"]}
    return airflow_runs.start("pod_oom_check", {}, timeout=RUN_TIMEOUT_S, env=env).wait()


def test_an_oom_killed_pod_is_retried(oom_run, local_cluster):
    """A pod the kernel kills for memory fails its try like any failure: retried (retries=1), then failed."""
    assert oom_run.state() == "failed", oom_run.log_tail()
    assert oom_run.task_states()["starved"] == ("failed", 2), (oom_run.task_states(), oom_run.log_tail())
    assert [try_number for try_number, _ in oom_run.task_history()["starved"]] == [1], oom_run.task_history()
    log = oom_run.log_path.read_text(errors="replace")
    assert log.count("returned a failure. Its container ended OOMKilled (exit code 137).") == 2, oom_run.log_tail()
    assert_no_pod_left(local_cluster, "pod_oom_check")


# --------------------------------------------------------------------------- the pipeline: skip path, failure handler as a pod

PIPELINE_STATES = {
    "prepare_training_data": "success",
    "run_training_and_hpo": "success",
    "evaluate_model_performance": "success",
    "compare_against_production": "success",
    "log_skip_decision": "success",
    "notify_no_deployment": "success",
    "register_and_promote_model": "skipped",
}


@pytest.fixture(scope="module")
def pipeline_runs(airflow_runs, local_cluster, tmp_path_factory):
    """The pipeline for the cluster: one run down the skip path, one whose raw data does not exist.
    The worker's environment holds the services' addresses and no AWS key: the pods read theirs
    from the Secret."""
    out = tmp_path_factory.mktemp("cluster-profile-pipeline")
    platform = local_cluster["env"]
    docker_socket = platform["DOCKER_HOST"].removeprefix("unix://")
    _cli_ok("dag", "build", str(PIPELINE_SOURCE), "--profile", "cluster", "--task-image", local_cluster["image"], "--namespace", NAMESPACE, "--host-network",
            "--docker-socket", docker_socket, "--out", str(out))
    cluster_env = {**platform, "KUBECONFIG": local_cluster["kubeconfig"]}
    _cli_ok("cluster", "task-secret", "--namespace", NAMESPACE, env=cluster_env)
    _cli_ok("cluster", "pull-secret", "--namespace", DEPLOY_NAMESPACE, "--name", PULL_SECRET, env=cluster_env)
    _cli_ok("cluster", "deployer", "--namespace", NAMESPACE, "--target-namespace", DEPLOY_NAMESPACE, "--pull-secret", PULL_SECRET, env=cluster_env)
    urllib.request.urlopen(urllib.request.Request(f"{platform['AWS_ENDPOINT_URL_S3']}/{PIPELINE_BUCKET}", method="PUT"), timeout=30).close()
    raw = f"s3://{PIPELINE_BUCKET}/raw/diabetic_data.csv"
    _cli_ok("data", "synth", "--rows", "10000", "--seed", "7", "--out", raw, env=platform)
    secrets = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "HP_LOCAL_REGISTRY_PASSWORD"}
    env = {
        **{name: value for name, value in platform.items() if name not in secrets},
        "AIRFLOW__CORE__DAGS_FOLDER": str(out),
        "KUBECONFIG": local_cluster["kubeconfig"],
        "TRAINING_MODEL_TYPES": "lr",
        "RAY_NUM_SAMPLES": "2",
        "RAY_MAX_EPOCHS": "2",
        "RAY_GRACE_PERIOD": "1",
        "MLFLOW_EXPERIMENT_NAME": "hp-cluster-profile",
        "MODEL_NAME": "hp-cluster-profile",
        "MIN_SAMPLE_SIZE": "1000",  # 10 000 raw rows leave ~290 to compare on: SKIP
        "HP_TEST_RETRY_DELAY_S": "1",
    }
    conf = {"prepared_data_uri": f"s3://{PIPELINE_BUCKET}/prepared", "notification_channels": ["log"], "deploy_target": "registry"}
    # The deploy run: its own model (no production yet: a bootstrap DEPLOY), rolled out to its own namespace.
    deploy_env = {
        **env,
        "MODEL_NAME": DEPLOY_MODEL,
        "MIN_SAMPLE_SIZE": "200",
        "K8S_NAMESPACE": DEPLOY_NAMESPACE,
        "K8S_IMAGE_PULL_SECRET": PULL_SECRET,
        "K8S_PROGRESS_DEADLINE_S": "120",
        "HEALTH_CHECK_WINDOW_S": "10",
        "HEALTH_CHECK_INTERVAL": "0.2",
        "HEALTH_CHECK_MIN_REQUESTS": "10",
    }
    skip = airflow_runs.start(PIPELINE_DAG_ID, {**conf, "raw_data_uri": raw}, timeout=RUN_TIMEOUT_S, env=env)
    missing = airflow_runs.start(PIPELINE_DAG_ID, {**conf, "raw_data_uri": f"s3://{PIPELINE_BUCKET}/raw/missing.csv"}, timeout=RUN_TIMEOUT_S, env=env)
    deploy = airflow_runs.start(PIPELINE_DAG_ID, {**conf, "raw_data_uri": raw, "deploy_target": "kubernetes"}, timeout=DEPLOY_RUN_TIMEOUT_S, env=deploy_env)
    return {"skip": skip.wait(), "missing": missing.wait(), "deploy": deploy.wait()}


def test_pipeline_skip_path_on_the_cluster(pipeline_runs):
    run = pipeline_runs["skip"]
    assert run.state() == "success", run.log_tail()
    states = {task_id: state for task_id, (state, _) in run.task_states().items()}
    assert {task_id: states.get(task_id) for task_id in PIPELINE_STATES} == PIPELINE_STATES, run.log_tail()
    assert run.xcom_returns()["compare_against_production"]["decision"] == "SKIP"
    pods = [pod for pod, _ in pod_start_seconds(run.log_path)]
    assert pods[:4] == ["prepare-training-data", "run-training-and-hpo", "evaluate-model-performance", "compare-against-production"], pods
    print("pipeline pod start (request -> Running): " + ", ".join(f"{pod} {seconds:.1f}s" for pod, seconds in pod_start_seconds(run.log_path)))


def test_failure_handler_runs_as_a_pod(pipeline_runs):
    run = pipeline_runs["missing"]
    assert run.state() == "failed", run.log_tail()
    assert run.task_states()["prepare_training_data"][0] == "failed", run.log_tail()
    log = run.log_path.read_text(errors="replace")
    assert "Building pod notify-pipeline-failure-" in log, run.log_tail()
    # the handler's own log record, re-logged at its level (the log channel writes the notification there)
    notified = [line for line in log.splitlines() if "[error    ] notification (pipeline_failure): Task prepare_training_data of health_predict_continuous_improvement failed" in line]
    assert notified and '"kind":"pipeline_failure"' in notified[0], run.log_tail()
    assert "Failure handler notify-pipeline-failure did not succeed" not in log


def test_no_pipeline_pod_left(pipeline_runs, local_cluster):
    assert_no_pod_left(local_cluster, PIPELINE_DAG_ID)


# --------------------------------------------------------------------------- the deploy path, every task a pod


def test_pipeline_deploy_path_on_the_cluster(pipeline_runs, local_cluster):
    run = pipeline_runs["deploy"]
    assert run.state() == "success", run.log_tail(150)
    states = {task_id: state for task_id, (state, _) in run.task_states().items()}
    assert {task_id: states.get(task_id) for task_id in DEPLOY_STATES} == DEPLOY_STATES, run.log_tail(150)
    xcom = run.xcom_returns()
    outcome = xcom["compare_against_production"]
    assert (outcome["decision"], outcome["bootstrap_deploy"]) == ("DEPLOY", True)
    pods = [pod for pod, _ in pod_start_seconds(run.log_path)]
    for pod in ("build-api-image", "test-api-locally", "push-to-ecr", "deploy-to-kubernetes", "verify-deployment", "post-deployment-health-check"):
        assert pod in pods, (pod, pods)
    print("deploy path pod start (request -> Running): " + ", ".join(f"{pod} {seconds:.1f}s" for pod, seconds in pod_start_seconds(run.log_path)))
    # The cluster serves the promoted version, from the image the pods built and pushed.
    version = xcom["register_and_promote_model"]["version"]
    proc = subprocess.run([*local_cluster["admin"], "get", "--raw", f"/api/v1/namespaces/{DEPLOY_NAMESPACE}/services/health-predict-api:http/proxy/model-info"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["version"] == str(version)
    image = subprocess.run([*local_cluster["admin"], "--namespace", DEPLOY_NAMESPACE, "get", "deployment", "health-predict-api", "-o", "jsonpath={.spec.template.spec.containers[0].image}"],
                           capture_output=True, text=True, timeout=60).stdout
    assert image == xcom["push_to_ecr"]["image_ref"], (image, xcom["push_to_ecr"])
    # In-cluster config: the pods reached the API server at the kubernetes Service's address, not through a kubeconfig.
    deploying = [line for line in run.log_path.read_text(errors="replace").splitlines() if f"deploying {DEPLOY_MODEL} v" in line]
    assert deploying and "server=https://10.96.0.1:443" in deploying[0], deploying or run.log_tail()


def test_only_the_deployer_may_change_the_deployment(pipeline_runs, local_cluster):
    """The rollout succeeded from a pod; the namespace's default account could not have done it."""
    def can(verb: str, resource: str, account: str, namespace: str = DEPLOY_NAMESPACE) -> str:
        proc = subprocess.run([*local_cluster["admin"], "auth", "can-i", verb, resource, "--namespace", namespace, "--as", f"system:serviceaccount:{NAMESPACE}:{account}"],
                              capture_output=True, text=True, timeout=60)
        return proc.stdout.strip()

    assert can("patch", "deployments", "health-predict-deployer") == "yes"
    assert can("patch", "deployments", "default") == "no"
    assert can("patch", "deployments", "health-predict-deployer", namespace=NAMESPACE) == "no"


def test_no_deploy_pod_left(pipeline_runs, local_cluster):
    assert_no_pod_left(local_cluster, PIPELINE_DAG_ID)
