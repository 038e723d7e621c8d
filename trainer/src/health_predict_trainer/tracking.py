"""MLflow tracking through an ``mlflow server`` (MlflowClient only: no fluent global state)."""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

ROLE_TAG = "health_predict.role"
TRIAL_ROLE = "trial"
BEST_ROLE = "best"

logging.getLogger("mlflow").setLevel(logging.WARNING)


def client_for(uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=uri)


def ensure_experiment(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
        return experiment.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_ALREADY_EXISTS":
            return client.get_experiment_by_name(name).experiment_id
        raise


def _param_value(value) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return text[:6000]


def start_run(client: MlflowClient, experiment_id: str, run_name: str, tags: dict, params: dict) -> str:
    run = client.create_run(experiment_id, run_name=run_name, tags={k: str(v) for k, v in tags.items()})
    run_id = run.info.run_id
    if params:
        from mlflow.entities import Param

        items = [Param(k, _param_value(v)) for k, v in params.items()]
        for i in range(0, len(items), 100):
            client.log_batch(run_id, params=items[i:i + 100])
    return run_id


def log_metrics(client: MlflowClient, run_id: str, metrics: dict, step: int | None = None) -> None:
    from mlflow.entities import Metric
    import time

    now = int(time.time() * 1000)
    items = [Metric(k, float(v), now, step or 0) for k, v in metrics.items() if v is not None]
    if items:
        client.log_batch(run_id, metrics=items)


def finish_run(client: MlflowClient, run_id: str, status: str = "FINISHED", tags: dict | None = None) -> None:
    for key, value in (tags or {}).items():
        client.set_tag(run_id, key, str(value))
    client.set_terminated(run_id, status=status)


def log_model_artifacts(client: MlflowClient, run_id: str, files: dict[str, bytes], artifact_dir: str = "model") -> str:
    """Uploads {filename: content} under artifact_dir; returns the run's artifact URI."""
    with tempfile.TemporaryDirectory(prefix="hp-artifacts-") as tmp:
        folder = Path(tmp) / artifact_dir
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        client.log_artifacts(run_id, str(folder), artifact_path=artifact_dir)
    return client.get_run(run_id).info.artifact_uri


def quiet_mlflow_env() -> None:
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
