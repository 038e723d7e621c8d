"""HPO on one machine's local Ray vs a real Ray cluster (head + worker nodes), same budget.

    .venv/ml/bin/python bench/ray_hpo.py            # from /work/main; `npm run bench:ray` wraps it

Prints ONE JSON object on stdout (progress goes to stderr); skips with {"skipped": reason} when
the real UCI file (HP_REAL_DATA) is absent. Every run is the production command
`python -m health_predict_trainer train` on the origin split with the same budget (BUDGET): with
a local 2-CPU Ray instance (no RAY_ADDRESS), or joined through RAY_ADDRESS to a cluster of a 1-CPU
head and BENCH_RAY_WORKERS (1) 1-CPU worker nodes started with `ray start` as separate processes
— the same 2 CPUs. Order ABBA (local, cluster × BENCH_RAY_REPEATS (2), local …) so that a drift
of the shared machine's load hits both sides; `runs` lists each run with the 1-minute load.
Walls are the tuning (Tune.fit) walls the trainer reports, so the refit and ONNX export, equal in
both, are left out; the cluster's start-up is `cluster_start_s`. On a 2-core machine the cluster
cannot be faster: it shows that the trials are distributed over the nodes (`trials_per_node`),
not a speed-up; a difference between the walls is the machine's load and worker start-up.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "trainer" / "src"
sys.path.insert(0, str(SRC))
DATA = Path(os.environ.get("HP_REAL_DATA", "/work/shared/data/diabetes-130/diabetic_data.csv"))
PYCACHE = ROOT / "trainer" / ".cache" / "pycache"
WORKERS = int(os.environ.get("BENCH_RAY_WORKERS", "1"))
REPEATS = int(os.environ.get("BENCH_RAY_REPEATS", "2"))
BUDGET = {"model_type": "lr", "num_samples": 4, "max_epochs": 5, "grace_period": 5}


def log(message: str) -> None:
    print(f"[bench:ray] {message}", file=sys.stderr, flush=True)


def child_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "RAY_ADDRESS") and not k.startswith("RAY_AUTH")}
    env.update({"PYTHONPYCACHEPREFIX": str(PYCACHE), "PYTHONPATH": str(SRC)})
    env.update(extra or {})
    return env


def run_hpo(paths: dict, mlflow_uri: str, name: str, env: dict) -> dict:
    """One training run; its tuning wall and the node of every trial (from the progress events)."""
    cmd = [sys.executable, "-m", "health_predict_trainer", "train", "--train", str(paths["train"]),
           "--validation", str(paths["validation"]), "--features", str(paths["features"]),
           "--model-types", BUDGET["model_type"], "--num-samples", str(BUDGET["num_samples"]),
           "--max-epochs", str(BUDGET["max_epochs"]), "--grace-period", str(BUDGET["grace_period"]),
           "--num-cpus", "2", "--mlflow-uri", mlflow_uri, "--experiment", "bench-ray", "--dag-run-id", name]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT / "trainer")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{name}: training exited with code {proc.returncode}")
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    done = next(e for e in events if e["event"] == "model_done")
    nodes = {e["trial"]: e["node_id"] for e in events if e["event"] == "trial_result"}
    per_node = Counter(nodes.values())
    load_1m = round(os.getloadavg()[0], 1)
    log(f"{name}: {done['trials_run']} trials, tuning {done['wall_s']} s, command {time.monotonic() - started:.1f} s, "
        f"load {load_1m}, trials per node {sorted(per_node.values())}")
    return {"wall_s": float(done["wall_s"]), "trials": int(done["trials_run"]), "nodes": nodes,
            "summary": {"wall_s": float(done["wall_s"]), "load_1m": load_1m, "val_f1": round(done["val_f1"], 4)}}


def per_minute(trials: int, wall_s: float) -> float:
    return round(trials / wall_s * 60, 2) if wall_s > 0 else 0.0


def main() -> int:
    if not DATA.is_file():
        print(json.dumps({"skipped": f"real data file not found: {DATA} (set HP_REAL_DATA)"}))
        return 0
    from health_predict_trainer.local_mlflow import LocalMlflowServer
    from health_predict_trainer.origin import make_origin_splits
    from health_predict_trainer.ray_cluster import LocalRayCluster

    # SIGTERM (the npm wrapper's cleanup) unwinds the `with` blocks: cluster, MLflow, temp dir
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench_started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hp-bench-ray-") as tmp:
        work = Path(tmp)
        paths = make_origin_splits(DATA, work / "splits")
        train_rows = sum(1 for _ in open(paths["train"])) - 1
        with LocalMlflowServer(work / "mlflow", env=child_env()) as server:
            log(f"mlflow server at {server.uri}; local runs: a 2-CPU Ray inside the training process")
            # ABBA (local, cluster × REPEATS, local …): a drift of the machine's load hits both sides
            local = [run_hpo(paths, server.uri, "local-1", child_env())]
            started = time.monotonic()
            with LocalRayCluster(workers=WORKERS, cpus_per_node=1, env=child_env()) as cluster:
                cluster_start_s = time.monotonic() - started
                log(f"cluster at {cluster.address}: head + {WORKERS} worker node(s) in {cluster_start_s:.1f} s")
                remote = [run_hpo(paths, server.uri, f"cluster-{i}", child_env(cluster.env))
                          for i in range(1, REPEATS + 1)]
                roles = {cluster.head_node_id: "head",
                         **{node: f"worker-{i}" for i, node in enumerate(cluster.worker_node_ids, 1)}}
            local += [run_hpo(paths, server.uri, f"local-{i}", child_env()) for i in range(2, REPEATS + 1)]
    per_node = Counter(roles.get(node, f"unknown:{node[:8]}") for node in remote[0]["nodes"].values())
    local_wall, cluster_wall = mean(r["wall_s"] for r in local), mean(r["wall_s"] for r in remote)
    print(json.dumps({
        "workers": WORKERS,
        "trials": remote[0]["trials"],
        "local_wall_s": round(local_wall, 1),
        "cluster_wall_s": round(cluster_wall, 1),
        "trials_per_min_local": per_minute(local[0]["trials"], local_wall),
        "trials_per_min_cluster": per_minute(remote[0]["trials"], cluster_wall),
        "nodes_used": len(per_node),
        "trials_per_node": dict(sorted(per_node.items())),
        "runs": {"local": [r["summary"] for r in local], "cluster": [r["summary"] for r in remote]},
        "cluster_start_s": round(cluster_start_s, 1),
        "cpus": {"local": 2, "cluster": 1 + WORKERS, "machine": os.cpu_count()},
        "budget": BUDGET,
        "data": {"file": str(DATA), "train_rows": train_rows},
        "bench_total_s": round(time.monotonic() - bench_started, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
