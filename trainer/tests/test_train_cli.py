"""End to end through the CLI against a real mlflow server: Ray Tune + ASHA, MLflow runs,
ONNX artifacts re-checked with onnxruntime, exit code 97 for bad data."""
import json
import pickle
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from conftest import parse_events, run_cli
from health_predict_trainer.data import load_feature_spec, load_split
from health_predict_trainer.onnx_export import onnx_positive_proba

MODEL_TYPES = ["lr", "rf", "xgb"]
MAX_EPOCHS = 3


def _data_args(splits):
    return ["--train", str(splits["train"]), "--validation", str(splits["validation"]),
            "--features", str(splits["features"])]


@pytest.fixture(scope="module")
def full_run(splits, mlflow_server, tmp_path_factory):
    results = tmp_path_factory.mktemp("run") / "results.json"
    proc = run_cli("train", *_data_args(splits), "--model-types", "lr,rf,xgb", "--num-samples", "2",
                   "--max-epochs", str(MAX_EPOCHS), "--grace-period", "1", "--mlflow-uri", mlflow_server,
                   "--experiment", "e2e", "--dag-run-id", "dag-run-1", "--seed", "7", "--results", str(results))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return {"proc": proc, "events": parse_events(proc.stdout), "results": json.loads(results.read_text()),
            "client": MlflowClient(mlflow_server)}


def test_progress_events(full_run):
    events = full_run["events"]
    assert events[0] == {**events[0], "event": "start", "model_types": MODEL_TYPES, "trials_per_type": 2}
    assert events[-1]["event"] == "done"
    assert [e["model_type"] for e in events if e["event"] == "model_done"] == MODEL_TYPES
    epochs = defaultdict(list)
    for e in events:
        if e["event"] == "trial_result":
            assert e["trials"] == 2 and 0 <= e["val_f1"] <= e["best_val_f1"] <= 1
            epochs[(e["model_type"], e["trial"])].append(e["epoch"])
    assert {t for t, _ in epochs} == set(MODEL_TYPES)
    for seen in epochs.values():
        assert seen == list(range(1, len(seen) + 1))  # once per epoch, in order
    done = {e["model_type"]: e for e in events if e["event"] == "model_done"}
    for model in full_run["results"]["models"]:
        assert done[model["model_type"]]["run_id"] == model["run_id"]
        assert done[model["model_type"]]["trials_run"] == model["trials_run"]


def test_results_file(full_run):
    results = full_run["results"]
    assert results["dag_run_id"] == "dag-run-1" and results["experiment_id"]
    assert [m["model_type"] for m in results["models"]] == MODEL_TYPES
    for m in results["models"]:
        assert set(m) == {"model_type", "run_id", "val_f1", "val_auc", "threshold", "artifact_uri", "onnx_path",
                          "metadata_path", "parity_max_abs_diff", "trials_run", "trials_stopped_early",
                          "best_params"}
        assert m["onnx_path"] == "model/model.onnx" and m["metadata_path"] == "model/metadata.json"
        assert 0.5 < m["val_f1"] <= 1 and 0.5 < m["val_auc"] <= 1 and 0 < m["threshold"] < 1
        assert m["parity_max_abs_diff"] <= 1e-4
        assert m["trials_run"] == 2 and 0 <= m["trials_stopped_early"] <= 1
        assert m["run_id"] in m["artifact_uri"]
        assert 1 <= m["best_params"]["epochs"] <= MAX_EPOCHS


def _runs(client, experiment_id, dag_run_id, role):
    return client.search_runs([experiment_id], filter_string=(
        f"tags.dag_run_id = '{dag_run_id}' and tags.`health_predict.role` = '{role}'"), max_results=500)


def test_every_trial_is_an_mlflow_run_with_per_epoch_metrics(full_run):
    client, results = full_run["client"], full_run["results"]
    trials = _runs(client, results["experiment_id"], "dag-run-1", "trial")
    by_type = defaultdict(list)
    for run in trials:
        by_type[run.data.tags["model_type"]].append(run)
    assert {t: len(r) for t, r in by_type.items()} == {t: 2 for t in MODEL_TYPES}
    for run in trials:
        assert run.info.status == "FINISHED"
        assert run.data.tags["trial_id"]
        epochs = int(run.data.tags["health_predict.epochs_completed"])
        assert 1 <= epochs <= MAX_EPOCHS
        assert run.data.tags["health_predict.stopped_early"] == str(epochs < MAX_EPOCHS).lower()
        for metric in ("val_f1", "val_auc", "val_logloss"):
            steps = [m.step for m in client.get_metric_history(run.info.run_id, metric)]
            assert sorted(steps) == list(range(1, epochs + 1)), (metric, steps)
        assert "C" in run.data.params or "max_depth" in run.data.params


def test_best_runs_carry_onnx_and_metadata_with_parity(full_run, splits, tmp_path):
    client, results = full_run["client"], full_run["results"]
    spec = load_feature_spec(splits["features"])
    validation = load_split(splits["validation"], spec)
    raw_validation = pd.read_csv(splits["validation"], dtype=str, keep_default_na=False)
    best = {r.data.tags["model_type"]: r for r in _runs(client, results["experiment_id"], "dag-run-1", "best")}
    assert set(best) == set(MODEL_TYPES)
    for entry in results["models"]:
        run = best[entry["model_type"]]
        assert run.info.run_id == entry["run_id"]
        assert run.data.metrics["val_f1"] == pytest.approx(entry["val_f1"])
        listed = {a.path for a in client.list_artifacts(run.info.run_id, "model")}
        assert {"model/model.onnx", "model/metadata.json"} <= listed
        folder = Path(client.download_artifacts(run.info.run_id, "model", str(tmp_path / entry["model_type"])))
        meta = json.loads((folder / "metadata.json").read_text())
        assert meta["model_type"] == entry["model_type"]
        assert meta["threshold"] == pytest.approx(entry["threshold"])
        assert meta["features"] == spec.to_dict()
        assert meta["input_names"] == ["numeric", "categorical"] and "columns" not in meta
        assert meta["input_columns"] == [list(spec.numeric), list(spec.categorical)]
        assert meta["probability_output"] == "probabilities" and meta["positive_class_index"] == 1
        assert meta["onnx_opset"] == 20 and meta["sklearn_version"]
        assert meta["val_f1"] == pytest.approx(entry["val_f1"]) and meta["val_auc"] == pytest.approx(entry["val_auc"])
        assert meta["parity_max_abs_diff"] <= 1e-4
        model = onnx.load(folder / "model.onnx")
        assert [i.name for i in model.graph.input] == meta["input_names"]
        # re-check parity here: onnxruntime on the RAW validation columns vs the logged sklearn pipeline
        p_onnx = onnx_positive_proba(model, validation.X, spec)
        pipeline = pickle.loads((folder / "model.pkl").read_bytes())
        p_sklearn = pipeline.predict_proba(validation.X[spec.features])[:, 1]
        assert np.max(np.abs(p_onnx - p_sklearn)) <= 1e-4
        assert len(raw_validation) == len(p_onnx)
        # served model: fit on train + validation; the threshold gives the scikit-learn decisions
        assert meta["final_fit_rows"] == meta["train_rows"] + meta["validation_rows"]
        assert np.array_equal(p_onnx >= meta["threshold"], p_sklearn >= meta["threshold"])


def test_asha_stops_trials_early(splits, mlflow_server, tmp_path):
    """8 LR trials, 4 epochs, grace 1 (budget from the RAY_* environment): ASHA must cut some."""
    results = tmp_path / "results.json"
    proc = run_cli("train", *_data_args(splits), "--model-types", "lr", "--mlflow-uri", mlflow_server,
                   "--experiment", "asha", "--dag-run-id", "dag-run-asha", "--results", str(results),
                   env={"RAY_NUM_SAMPLES": "8", "RAY_MAX_EPOCHS": "4", "RAY_GRACE_PERIOD": "1"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    events = parse_events(proc.stdout)
    assert events[0]["trials_per_type"] == 8 and events[0]["max_epochs"] == 4
    model = json.loads(results.read_text())["models"][0]
    assert model["trials_run"] == 8
    assert model["trials_stopped_early"] >= 1
    client = MlflowClient(mlflow_server)
    experiment_id = json.loads(results.read_text())["experiment_id"]
    stopped = [r for r in _runs(client, experiment_id, "dag-run-asha", "trial")
               if r.data.tags["health_predict.stopped_early"] == "true"]
    assert len(stopped) == model["trials_stopped_early"]
    for run in stopped:
        assert len(client.get_metric_history(run.info.run_id, "val_f1")) < 4
    reported = defaultdict(int)
    for e in events:
        if e["event"] == "trial_result":
            reported[e["trial"]] += 1
    assert sum(1 for n in reported.values() if n < 4) == model["trials_stopped_early"]


@pytest.mark.parametrize("problem", ["missing_column", "single_class", "empty"])
def test_bad_data_exits_97_naming_the_problem(splits, tmp_path, problem):
    frame = pd.read_csv(splits["train"], dtype=str, keep_default_na=False)
    train, validation = tmp_path / "train.csv", Path(splits["validation"])
    if problem == "missing_column":
        frame.drop(columns=["metformin-pioglitazone"]).to_csv(train, index=False)
        expected = "metformin-pioglitazone"
    elif problem == "single_class":
        frame.to_csv(train, index=False)
        validation = tmp_path / "validation.csv"
        frame.assign(readmitted_binary="0").to_csv(validation, index=False)
        expected = "readmitted_binary"
    else:
        train.write_text("")
        expected = "empty"
    proc = run_cli("train", "--train", str(train), "--validation", str(validation), "--features",
                   str(splits["features"]), "--mlflow-uri", "http://127.0.0.1:9", "--num-samples", "1")
    assert proc.returncode == 97, proc.stderr[-2000:]
    assert expected in proc.stderr
    events = parse_events(proc.stdout)
    assert events[-1]["event"] == "error" and expected in events[-1]["message"]


def test_budget_defaults_come_from_the_environment():
    from health_predict_trainer.cli import build_parser, train_args_from

    ns = build_parser().parse_args(["train", "--train", "a", "--validation", "b", "--features", "c",
                                    "--mlflow-uri", "http://x"])
    args = train_args_from(ns, env={})
    assert (args.num_samples, args.max_epochs, args.grace_period) == (2, 10, 5)
    args = train_args_from(ns, env={"RAY_NUM_SAMPLES": "3", "RAY_MAX_EPOCHS": "6", "RAY_GRACE_PERIOD": "2"})
    assert (args.num_samples, args.max_epochs, args.grace_period) == (3, 6, 2)
    with pytest.raises(ValueError, match="RAY_MAX_EPOCHS"):
        train_args_from(ns, env={"RAY_MAX_EPOCHS": "zero"})
    debug = train_args_from(build_parser().parse_args(
        ["train", "--train", "a", "--validation", "b", "--features", "c", "--mlflow-uri", "u", "--debug"]), env={})
    assert debug.model_types == ["lr"] and debug.num_samples == 1
    assert args.final_fit_on_validation
    train_only = train_args_from(build_parser().parse_args(
        ["train", "--train", "a", "--validation", "b", "--features", "c", "--mlflow-uri", "u", "--final-fit", "train"]), env={})
    assert not train_only.final_fit_on_validation
