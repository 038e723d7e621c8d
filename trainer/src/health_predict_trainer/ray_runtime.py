"""Starting and stopping Ray: a quiet local 2-CPU instance, or the cluster in RAY_ADDRESS."""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

_QUIET_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "0",
    "RAY_AIR_NEW_OUTPUT": "0",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "RAY_TUNE_DISABLE_AUTO_INIT": "1",
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "1000",
    "PYTHONWARNINGS": "ignore",
}


@contextlib.contextmanager
def ray_session(num_cpus: int = 2, address: str | None = None):
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    # local workers must import this package even when it is not installed (pytest pythonpath)
    src = str(PACKAGE_DIR.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if src not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([src, *paths])
    import ray

    for name in ("ray", "ray.tune", "ray.train", "ray.data", "ray.air"):
        logging.getLogger(name).setLevel(logging.ERROR)
    address = address if address is not None else os.environ.get("RAY_ADDRESS") or None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            # a driver of the running cluster, no local instance; the cluster's nodes get this
            # package through the runtime env, not from their PYTHONPATH
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False,
                     runtime_env={"py_modules": [str(PACKAGE_DIR)]})
            nodes = [n for n in ray.nodes() if n["Alive"]]
            logging.getLogger("health_predict_trainer").info(
                "joined the Ray cluster at %s: %d node(s), %g CPU(s)", address, len(nodes),
                sum(n["Resources"].get("CPU", 0) for n in nodes))
        else:
            # "local": always a fresh instance of our own, never a cluster someone started
            # with `ray start` on this machine (/tmp/ray/ray_current_cluster)
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR, configure_logging=True)
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()
