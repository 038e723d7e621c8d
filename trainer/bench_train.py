"""Benchmark of the trainer on the REAL UCI file (origin split, production HPO budget).

    .venv/ml/bin/python trainer/bench_train.py            # from /work/main

Prints ONE JSON object on stdout (progress goes to stderr). Skips with a JSON message when
the data file is absent. Steps: origin splits → a local `mlflow server` → the production
command `python -m health_predict_trainer train` (RAY_NUM_SAMPLES=2, RAY_MAX_EPOCHS=10,
RAY_GRACE_PERIOD=5, all three model types) → every best model's ONNX artifact scores the
test split with onnxruntime at its validation-chosen threshold. Model choice (champion =
best validation F1) and thresholds use validation only. The dataset.md reference configs
are fit once (no HPO) in the same run as the baseline.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
sys.path.insert(0, str(SRC))
DATA = Path(os.environ.get("HP_REAL_DATA", "/work/shared/data/diabetes-130/diabetic_data.csv"))
PYCACHE = HERE / ".cache" / "pycache"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def child_env() -> dict:
    # the venv has no bytecode and the sandbox sets PYTHONDONTWRITEBYTECODE: let the child
    # processes (CLI, Ray workers, mlflow server) cache bytecode under trainer/.cache
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "RAY_ADDRESS")}
    env.update({"PYTHONPYCACHEPREFIX": str(PYCACHE), "PYTHONPATH": str(SRC),
                "RAY_NUM_SAMPLES": "2", "RAY_MAX_EPOCHS": "10", "RAY_GRACE_PERIOD": "5"})
    return env


def run_training(paths: dict, mlflow_uri: str, results_path: Path) -> tuple[float, dict, list[dict]]:
    cmd = [sys.executable, "-m", "health_predict_trainer", "train", "--train", str(paths["train"]),
           "--validation", str(paths["validation"]), "--features", str(paths["features"]),
           "--model-types", "lr,rf,xgb", "--mlflow-uri", mlflow_uri, "--experiment", "bench",
           "--dag-run-id", "bench", "--results", str(results_path)]
    started = time.monotonic()
    boundary = started
    per_model: dict[str, float] = {}
    events = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, env=child_env(),
                          cwd=HERE) as proc:
        for line in proc.stdout:
            event = json.loads(line)
            events.append(event)
            now = time.monotonic()
            if event["event"] == "start":
                boundary = now
            elif event["event"] == "model_done":
                per_model[event["model_type"]] = round(now - boundary, 1)
                boundary = now
                log(f"{event['model_type']}: val_f1 {event['val_f1']:.4f} ({per_model[event['model_type']]} s)")
        rc = proc.wait()
    wall = time.monotonic() - started
    if rc != 0:
        raise SystemExit(f"training failed with exit code {rc}: {events[-1] if events else ''}")
    return wall, per_model, events


def score_models(results: dict, mlflow_uri: str, test, spec, workdir: Path) -> dict:
    from mlflow.tracking import MlflowClient
    from sklearn.metrics import roc_auc_score

    from health_predict_trainer.metrics import f1_at
    from health_predict_trainer.onnx_export import onnx_positive_proba

    client = MlflowClient(mlflow_uri)
    scored = {}
    for model in results["models"]:
        folder = Path(client.download_artifacts(model["run_id"], "model", str(workdir / model["model_type"])))
        metadata = json.loads((folder / "metadata.json").read_text())
        p = onnx_positive_proba((folder / "model.onnx").read_bytes(), test.X, spec)
        scored[model["model_type"]] = {
            "test_auc": round(float(roc_auc_score(test.y, p)), 4),
            "test_f1": round(f1_at(test.y, p, metadata["threshold"]), 4),
            "test_f1_at_0_5": round(f1_at(test.y, p, 0.5), 4),
            "val_f1": round(model["val_f1"], 4),
            "val_auc": round(model["val_auc"], 4),
            "threshold": round(model["threshold"], 4),
            "trials_run": model["trials_run"],
            "trials_stopped_early": model["trials_stopped_early"],
            "parity_max_abs_diff": model["parity_max_abs_diff"],
            "best_params": model["best_params"],
        }
    return scored


def baselines(train, validation, test, spec) -> dict:
    """dataset.md reference configs, origin preprocessing (scaled numerics + one-hot), one fit each."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from xgboost import XGBClassifier

    from health_predict_trainer.metrics import best_threshold, f1_at

    configs = {
        "lr": LogisticRegression(class_weight="balanced", C=1.0, max_iter=2000),
        "rf": RandomForestClassifier(n_estimators=200, max_depth=15, class_weight="balanced", n_jobs=2,
                                     random_state=42),
        "xgb": XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, n_jobs=2, random_state=42),
    }
    out = {}
    for name, model in configs.items():
        pre = ColumnTransformer([("num", StandardScaler(), list(spec.numeric)),
                                 ("cat", OneHotEncoder(handle_unknown="ignore"), list(spec.categorical))])
        pipe = Pipeline([("pre", pre), ("model", model)]).fit(train.X[spec.features], train.y)
        p_val = pipe.predict_proba(validation.X[spec.features])[:, 1]
        p_test = pipe.predict_proba(test.X[spec.features])[:, 1]
        threshold, _ = best_threshold(validation.y, p_val)
        out[name] = {
            "test_auc": round(float(roc_auc_score(test.y, p_test)), 4),
            "test_f1": round(f1_at(test.y, p_test, threshold), 4),
            "test_f1_at_0_5": round(f1_at(test.y, p_test, 0.5), 4),
            "val_f1": round(f1_at(validation.y, p_val, threshold), 4),
            "threshold": round(threshold, 4),
        }
    return out


def main() -> int:
    if not DATA.is_file():
        print(json.dumps({"skipped": f"real data file not found: {DATA}"}))
        return 0
    import warnings

    warnings.filterwarnings("ignore")
    from health_predict_trainer.data import load_feature_spec, load_split
    from health_predict_trainer.local_mlflow import LocalMlflowServer
    from health_predict_trainer.origin import make_origin_splits

    bench_started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hp-bench-") as tmp:
        work = Path(tmp)
        paths = make_origin_splits(DATA, work / "splits")
        spec = load_feature_spec(paths["features"])
        train, validation, test = (load_split(paths[n], spec, n) for n in ("train", "validation", "test"))
        log(f"splits: train {len(train)}, validation {len(validation)}, test {len(test)} rows")
        with LocalMlflowServer(work / "mlflow", env=child_env()) as server:
            log(f"mlflow server at {server.uri}")
            wall, per_model, _ = run_training(paths, server.uri, work / "results.json")
            results = json.loads((work / "results.json").read_text())
            models = score_models(results, server.uri, test, spec, work / "artifacts")
        for model_type, seconds in per_model.items():
            models[model_type]["wall_s"] = seconds
        log("fitting the reference configs (baseline)")
        base = baselines(train, validation, test, spec)
    champion = max(models, key=lambda t: models[t]["val_f1"])
    print(json.dumps({
        "champion": champion,
        "champion_test_auc": models[champion]["test_auc"],
        "champion_test_f1": models[champion]["test_f1"],
        "wall_s": round(wall, 1),
        "bench_total_s": round(time.monotonic() - bench_started, 1),
        "hpo": {"num_samples": 2, "max_epochs": 10, "grace_period": 5},
        "test_rows": len(test),
        "test_positive_rate": round(float(test.y.mean()), 4),
        "models": models,
        "baseline": base,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
