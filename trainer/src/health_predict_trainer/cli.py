"""Command line: ``python -m health_predict_trainer train ...`` (and ``splits`` for tests/bench).

stdout carries only JSON progress events (one per line); logs go to stderr.
Exit codes: 0 ok, 97 bad input data (BadDataError), 1 anything else.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings

from .errors import EXIT_BAD_DATA, EXIT_FAILURE, EXIT_OK, BadDataError


def _env_int(env, name: str, default: int) -> int:
    value = str(env.get(name, "") or "").strip()
    if not value:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
    if parsed <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return parsed


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="health_predict_trainer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="tune LR / RF / XGBoost with Ray Tune, log to MLflow, export ONNX")
    t.add_argument("--train", required=True)
    t.add_argument("--validation", required=True)
    t.add_argument("--features", required=True, help="features.json {numeric, categorical, target}")
    t.add_argument("--model-types", default="lr,rf,xgb", help="comma list of lr, rf, xgb")
    t.add_argument("--num-samples", type=_positive_int, default=None, help="trials per type (env RAY_NUM_SAMPLES, 2)")
    t.add_argument("--max-epochs", type=_positive_int, default=None, help="env RAY_MAX_EPOCHS, 10")
    t.add_argument("--grace-period", type=_positive_int, default=None, help="env RAY_GRACE_PERIOD, 5")
    t.add_argument("--reduction-factor", type=float, default=4.0, help="ASHA reduction factor (4)")
    t.add_argument("--mlflow-uri", default=os.environ.get("MLFLOW_TRACKING_URI"),
                   help="mlflow server URL (env MLFLOW_TRACKING_URI)")
    t.add_argument("--experiment", default="health-predict")
    t.add_argument("--dag-run-id", default="manual")
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--results", default=None, help="write the results JSON here")
    t.add_argument("--num-cpus", type=_positive_int, default=2, help="CPUs of the local Ray instance")
    t.add_argument("--final-fit", choices=["train+validation", "train"], default="train+validation",
                   help="rows of the served model's fit (threshold and validation metrics always come "
                        "from a train-only fit)")
    t.add_argument("--debug", action="store_true", help="LR only, 1 sample, 2 epochs (smoke run)")

    s = sub.add_parser("splits", help="(tests/bench) write cleaned origin or synthetic splits")
    s.add_argument("--out", required=True)
    s.add_argument("--raw", help="raw UCI diabetic_data.csv (origin split); omit for synthetic data")
    s.add_argument("--rows", type=int, default=2000, help="synthetic raw rows")
    s.add_argument("--seed", type=int, default=0)
    return parser


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("mlflow", "urllib3", "ray", "alembic", "skl2onnx", "onnxmltools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")


def train_args_from(ns: argparse.Namespace, env: dict | None = None):
    """CLI namespace (+ RAY_* environment defaults) → TrainArgs; ValueError when invalid."""
    from .train import TrainArgs, parse_model_types

    env = os.environ if env is None else env
    if not ns.mlflow_uri:
        raise ValueError("--mlflow-uri (or MLFLOW_TRACKING_URI) is required")
    model_types = ["lr"] if ns.debug else parse_model_types(ns.model_types)
    args = TrainArgs(
        train=ns.train, validation=ns.validation, features=ns.features, model_types=model_types,
        num_samples=1 if ns.debug else (ns.num_samples or _env_int(env, "RAY_NUM_SAMPLES", 2)),
        max_epochs=2 if ns.debug else (ns.max_epochs or _env_int(env, "RAY_MAX_EPOCHS", 10)),
        grace_period=1 if ns.debug else (ns.grace_period or _env_int(env, "RAY_GRACE_PERIOD", 5)),
        mlflow_uri=ns.mlflow_uri, experiment=ns.experiment, dag_run_id=ns.dag_run_id, seed=ns.seed,
        results=ns.results, reduction_factor=ns.reduction_factor, num_cpus=ns.num_cpus,
        final_fit_on_validation=ns.final_fit == "train+validation",
    )
    if args.grace_period > args.max_epochs:
        logging.getLogger("health_predict_trainer").warning(
            "grace period %d > max epochs %d: using %d", args.grace_period, args.max_epochs, args.max_epochs)
        args.grace_period = args.max_epochs
    return args


def _train(ns: argparse.Namespace) -> int:
    from .progress import Events, claim_stdout
    from .train import run_train

    events = Events(claim_stdout())
    try:
        args = train_args_from(ns)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        events.emit("error", kind="usage", message=str(exc))
        return EXIT_FAILURE
    try:
        run_train(args, events)
    except BadDataError as exc:
        print(f"bad input data: {exc}", file=sys.stderr)
        events.emit("error", kind="bad_data", message=str(exc))
        return EXIT_BAD_DATA
    except Exception as exc:  # noqa: BLE001 - the CLI boundary
        traceback.print_exc(file=sys.stderr)
        events.emit("error", kind=type(exc).__name__, message=str(exc))
        return EXIT_FAILURE
    return EXIT_OK


def _splits(ns: argparse.Namespace) -> int:
    import json

    if ns.raw:
        from .origin import make_origin_splits

        paths = make_origin_splits(ns.raw, ns.out)
    else:
        from .synthetic import make_synthetic_splits

        paths = make_synthetic_splits(ns.out, n_rows=ns.rows, seed=ns.seed)
    print(json.dumps({k: str(v) for k, v in paths.items()}))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    _configure_logging()
    if ns.command == "train":
        return _train(ns)
    return _splits(ns)
