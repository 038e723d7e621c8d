"""The `train` command: validate data → tune each model type → publish its best model."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from . import MODEL_TYPES
from .data import load_feature_spec, load_split, require_both_classes
from .errors import BadDataError
from .progress import Events

log = logging.getLogger("health_predict_trainer")


@dataclass
class TrainArgs:
    train: str
    validation: str
    features: str
    model_types: list[str]
    num_samples: int
    max_epochs: int
    grace_period: int
    mlflow_uri: str
    experiment: str
    dag_run_id: str
    seed: int = 0
    results: str | None = None
    reduction_factor: float = 4.0
    num_cpus: int = 2
    final_fit_on_validation: bool = True


def parse_model_types(text: str) -> list[str]:
    types = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [t for t in types if t not in MODEL_TYPES]
    if unknown or not types:
        raise ValueError(f"--model-types: unknown {unknown or text!r}; choose from {', '.join(MODEL_TYPES)}")
    return list(dict.fromkeys(types))


def run_train(args: TrainArgs, events: Events) -> dict:
    started = time.monotonic()
    spec = load_feature_spec(args.features)
    train = load_split(args.train, spec, "train")
    validation = load_split(args.validation, spec, "validation")
    require_both_classes(train, spec.target)
    require_both_classes(validation, spec.target)
    if len(train) < 20:
        raise BadDataError(f"train split: only {len(train)} rows (need at least 20)")
    log.info("data: train %d rows, validation %d rows, %d numeric + %d categorical features",
             len(train), len(validation), len(spec.numeric), len(spec.categorical))

    # heavy imports (MLflow, Ray, skl2onnx) only once the data is known to be usable
    from . import tracking
    from .publish import METADATA_ARTIFACT, ONNX_ARTIFACT, publish_best
    from .ray_runtime import ray_session
    from .tuning import TuneSettings, run_tuning

    tracking.quiet_mlflow_env()
    client = tracking.client_for(args.mlflow_uri)
    experiment_id = tracking.ensure_experiment(client, args.experiment)
    settings = TuneSettings(args.num_samples, args.max_epochs, args.grace_period, args.reduction_factor, args.seed)
    events.emit("start", model_types=args.model_types, trials_per_type=args.num_samples,
                max_epochs=args.max_epochs, grace_period=args.grace_period, experiment_id=experiment_id)
    results = {"experiment_id": experiment_id, "dag_run_id": args.dag_run_id, "models": []}
    with ray_session(num_cpus=args.num_cpus):
        for model_type in args.model_types:
            outcome = run_tuning(model_type, spec, train, validation, settings, client, experiment_id,
                                 args.dag_run_id, events)
            log.info("%s: tuning took %.1f s (%d trials, %d stopped early); best epoch %d",
                     model_type, outcome.wall_s, outcome.trials_run, outcome.trials_stopped_early, outcome.best_epoch)
            publish_started = time.monotonic()
            published = publish_best(outcome, spec, train, validation, args.seed, client, experiment_id,
                                     args.dag_run_id, n_jobs=args.num_cpus,
                                     final_fit_on_validation=args.final_fit_on_validation)
            log.info("%s: refit + ONNX + parity + MLflow took %.1f s", model_type, time.monotonic() - publish_started)
            entry = {
                "model_type": model_type,
                "run_id": published.run_id,
                "val_f1": published.val_metrics["val_f1"],
                "val_auc": published.val_metrics["val_auc"],
                "threshold": published.val_metrics["threshold"],
                "artifact_uri": published.artifact_uri,
                "onnx_path": ONNX_ARTIFACT,
                "metadata_path": METADATA_ARTIFACT,
                "parity_max_abs_diff": published.metadata["parity_max_abs_diff"],
                "trials_run": outcome.trials_run,
                "trials_stopped_early": outcome.trials_stopped_early,
                "best_params": published.best_params,
            }
            results["models"].append(entry)
            events.emit("model_done", model_type=model_type, run_id=published.run_id,
                        val_f1=round(entry["val_f1"], 6), val_auc=round(entry["val_auc"], 6),
                        threshold=entry["threshold"], trials_run=outcome.trials_run,
                        trials_stopped_early=outcome.trials_stopped_early,
                        wall_s=round(outcome.wall_s, 1))
    if args.results:
        path = Path(args.results)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2))
    best = max(results["models"], key=lambda m: m["val_f1"])
    events.emit("done", champion=best["model_type"], champion_val_f1=round(best["val_f1"], 6),
                wall_s=round(time.monotonic() - started, 1))
    return results
