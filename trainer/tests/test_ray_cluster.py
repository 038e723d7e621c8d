"""HPO on a real Ray cluster on this machine: a head and a worker node, each a separate
`ray start` process, joined by the training CLI through RAY_ADDRESS. The trials must run on
the cluster's nodes (not on a local instance the driver started), spread over both, at least
one on the worker node."""
from collections import Counter

import pytest

from conftest import child_env, parse_events, run_cli
from health_predict_trainer.ray_cluster import LocalRayCluster

TRIALS = 4


@pytest.fixture(scope="module")
def cluster():
    with LocalRayCluster(workers=1, cpus_per_node=1, env=child_env()) as running:
        yield running


def trial_nodes(events: list[dict]) -> dict[int, str]:
    """trial number → the Ray node id that ran it, from the CLI's trial_result events."""
    nodes: dict[int, str] = {}
    for event in events:
        if event["event"] == "trial_result":
            assert nodes.setdefault(event["trial"], event["node_id"]) == event["node_id"], event
    return nodes


def train_on(cluster: LocalRayCluster, splits, mlflow_server, dag_run_id: str) -> dict[int, str]:
    proc = run_cli("train", "--train", str(splits["train"]), "--validation", str(splits["validation"]),
                   "--features", str(splits["features"]), "--model-types", "lr", "--num-samples", str(TRIALS),
                   "--max-epochs", "2", "--grace-period", "2", "--mlflow-uri", mlflow_server,
                   "--experiment", "ray-cluster", "--dag-run-id", dag_run_id, env=cluster.env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return trial_nodes(parse_events(proc.stdout))


def test_cluster_has_a_head_and_a_worker_node(cluster):
    assert len(cluster.nodes) == 2
    assert len(cluster.worker_node_ids) == 1
    assert cluster.head_node_id not in cluster.worker_node_ids


def test_trials_run_on_the_cluster_spread_over_head_and_worker(cluster, splits, mlflow_server):
    nodes = train_on(cluster, splits, mlflow_server, "ray-cluster-1")
    assert sorted(nodes) == list(range(1, TRIALS + 1))
    cluster_nodes = {n.node_id for n in cluster.nodes}
    # a local Ray instance started by the driver would have node ids of its own
    assert set(nodes.values()) <= cluster_nodes, (nodes, cluster_nodes)
    per_node = Counter(nodes.values())
    assert len(per_node) >= 2, per_node
    assert per_node[cluster.worker_node_ids[0]] >= 1, per_node
