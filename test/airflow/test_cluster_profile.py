"""The example DAG compiled with `--profile cluster`, run by real Airflow (`airflow dags test`) with
every Node task a pod on the local cluster (`health-predict cluster up`), the task image pulled
from the stack's registry.

The same runs as test_example_runs.py (fast route, thorough route with another message, a
non-retryable failure) must end in the same task states as under BashOperator: the branch, the
skip (exit 99), the retry of flaky_step, exit 97 failing without retries. Then no pod of the DAG is
left in the namespace. Each run logs, per task, how long its pod took from the request to Running;
the test prints that (pytest -s or the -rs summary's neighbour) and keeps it under a bound.

Needs: root and the built, Ready local cluster; the task image, named by HEALTH_PREDICT_TASK_IMAGE
or built and pushed here with `health-predict cluster task-image` (the stack's dockerd and
registry); the registry's login as the namespace's pull secret (`cluster pull-secret`). Without
them the tests skip with the reason (under CI=true they fail).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from service_lanes import require_service
from test_example_runs import CONFS, OTHER_MESSAGE, PWNED

pytestmark = pytest.mark.airflow_run

REPO = Path(__file__).resolve().parents[2]
CLI = ["node", str(REPO / "bin" / "health-predict.mjs")]
DAG_ID = "health_predict_example"
EXAMPLE_SOURCE = REPO / "examples" / "branching-example.dag.ts"
# Where the compiled example's pods run, and the pull secret its profile names.
NAMESPACE = "health-predict"
PULL_SECRET = "health-predict-registry"
RUN_TIMEOUT_S = 600
# A pod of the task image that is already on the node goes from request to Running in a few seconds.
POD_START_BOUND_S = 30
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


def _task_image_or_reason() -> tuple[str | None, str]:
    """HEALTH_PREDICT_TASK_IMAGE, else the image built and pushed now by `cluster task-image`."""
    given = os.environ.get("HEALTH_PREDICT_TASK_IMAGE", "").strip()
    if given:
        return given, ""
    proc = _cli("cluster", "task-image", "--json", timeout=1800)
    if proc.returncode != 0:
        return None, f"no HEALTH_PREDICT_TASK_IMAGE and `health-predict cluster task-image` failed: {proc.stderr.strip()[-400:]}"
    return json.loads(proc.stdout)["reference"], ""


@pytest.fixture(scope="module")
def local_cluster():
    status, reason = _cluster_or_reason()
    require_service(status is not None, reason)
    image, reason = _task_image_or_reason()
    require_service(image is not None, reason)
    kubeconfig = status["kubeconfig"]
    stack = _cli("stack", "env", "--json", timeout=60)
    registry_env = json.loads(stack.stdout) if stack.returncode == 0 else {}
    require_service("HP_LOCAL_REGISTRY_PASSWORD" in registry_env, f"the stack's registry is not running, so there is no login for the pull secret: {stack.stderr.strip()[:300]}")
    _cli_ok("cluster", "pull-secret", "--namespace", NAMESPACE, "--name", PULL_SECRET, env={**registry_env, "KUBECONFIG": kubeconfig})
    kubectl = [status["kubectl"], "--kubeconfig", kubeconfig, "--namespace", NAMESPACE]
    return {"kubeconfig": kubeconfig, "image": image, "kubectl": kubectl}


@pytest.fixture(scope="module")
def cluster_dags(local_cluster, tmp_path_factory) -> Path:
    """The example alone, compiled for the local cluster: its task image, pods on the node's network."""
    out = tmp_path_factory.mktemp("cluster-profile-dags")
    _cli_ok("dag", "build", str(EXAMPLE_SOURCE), "--profile", "cluster", "--task-image", local_cluster["image"], "--host-network", "--out", str(out))
    text = (out / f"{DAG_ID}.py").read_text()
    assert f"image={local_cluster['image']!r}" in text and "hostnetwork=True" in text
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
    assert _states(run) == {
        "prepare_batch": "success",
        "choose_route": "success",
        "route_branch": "success",
        "fast_path": "success",
        "thorough_path": "skipped",
        "join": "success",
        "report.flaky_step": "success",
        "report.summarise": "success",
        "optional_export": "skipped",  # exit 99 -> skipped (skip_on_exit_code), not failed
    }, run.log_tail()
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


def test_task_logs_reach_airflow(finished):
    log = finished["fast"].log_path.read_text(errors="replace")
    assert "[base] " in log and '"task_id":"prepare_batch"' in log, finished["fast"].log_tail()


def test_pod_start_latency(finished):
    starts = {name: pod_start_seconds(run.log_path) for name, run in finished.items()}
    for name, pods in starts.items():
        print(f"pod start (request -> Running), run {name}: " + ", ".join(f"{pod} {seconds:.1f}s" for pod, seconds in pods))
    fast = [pod for pod, _ in starts["fast"]]
    assert fast.count("report-flaky-step") == 2 and "optional-export" in fast, fast  # one pod per try
    slowest = max(seconds for pods in starts.values() for _, seconds in pods)
    assert slowest < POD_START_BOUND_S, starts


def test_no_pod_left(finished, local_cluster):
    deadline = time.monotonic() + POD_GONE_TIMEOUT_S
    while True:
        proc = subprocess.run([*local_cluster["kubectl"], "get", "pods", "-l", f"dag_id={DAG_ID}", "-o", "name"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        left = proc.stdout.split()
        if not left or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert left == [], f"pods of {DAG_ID} still in namespace {NAMESPACE} {POD_GONE_TIMEOUT_S} s after the runs: {left}"
