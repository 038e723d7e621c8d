"""The lean encoders (onnx_converters): string columns that share a transformer are encoded by a
fixed number of nodes, whatever the number of columns, and give exactly scikit-learn's output."""
import collections

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import StringTensorType
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from health_predict_trainer.data import load_feature_spec, load_split
from health_predict_trainer.models import train_for_epochs
from health_predict_trainer.onnx_converters import register_converters
from health_predict_trainer.onnx_export import TARGET_OPSET, check_parity, to_onnx
from health_predict_trainer.search_spaces import default_config, with_epoch_unit
from health_predict_trainer.transformers import OTHER, CategoryCollapser

TRAIN = pd.DataFrame({
    "a": ["x"] * 5 + ["y"] * 3 + ["rare"] + ["?"] * 3,
    "b": ["Steady"] * 6 + ["No"] * 4 + ["Up", ""],
    "c": ["428"] * 4 + ["250.01"] * 4 + ["V45"] * 4,
})
# Known values, rare ones (collapsed), unseen ones, the empty string, a value of another column,
# and text that looks like a column prefix.
SCORE = pd.DataFrame({
    "a": ["x", "y", "rare", "?", "never", "", "Steady", "1\x1fNo", "x"],
    "b": ["Steady", "No", "Up", "", "x", "Down", "No", "0\x1fx", "428"],
    "c": ["428", "250.01", "V45", "", "999", "x", "Steady", "428", "2\x1f428"],
})


def _run(model, X: pd.DataFrame) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X.to_numpy(dtype=object)})[0]


def _convert(pipeline: Pipeline, n_cols: int):
    register_converters()
    return convert_sklearn(pipeline, initial_types=[("X", StringTensorType([None, n_cols]))], target_opset=TARGET_OPSET)


@pytest.mark.parametrize("columns", [["a"], ["a", "b", "c"]])
def test_collapse_and_one_hot_match_sklearn_exactly(columns):
    pipeline = Pipeline([
        ("collapse", CategoryCollapser(min_frequency=2)),
        ("onehot", OneHotEncoder(handle_unknown="ignore", dtype="float64")),
    ]).fit(TRAIN[columns])
    model = _convert(pipeline, len(columns))
    expected = pipeline.transform(SCORE[columns]).toarray()
    assert np.array_equal(_run(model, SCORE[columns]), expected)
    ops = collections.Counter(n.op_type for n in model.graph.node)
    # One LabelEncoder for the collapse and one for the one-hot, for any number of columns.
    assert ops["LabelEncoder"] == 2 and ops["Gather"] == 0 and ops["OneHotEncoder"] == 0


def test_collapser_output_keeps_other_for_rare_and_unseen_values():
    collapser = CategoryCollapser(min_frequency=2).fit(TRAIN)
    model = _convert(Pipeline([("collapse", collapser)]), 3)
    out = _run(model, SCORE)
    assert out.tolist() == collapser.transform(SCORE).tolist()
    assert out[4].tolist() == [OTHER, OTHER, OTHER]


def test_one_hot_outside_the_lean_form_falls_back_to_skl2onnx():
    """drop='first' is not covered by the lean form: skl2onnx's own per-column converter runs."""
    known = TRAIN.iloc[[0, 5, 8, 10]]
    pipeline = Pipeline([("onehot", OneHotEncoder(drop="first", dtype="float64"))]).fit(known)
    model = _convert(pipeline, 3)
    assert np.array_equal(_run(model, known), pipeline.transform(known).toarray())
    assert any(n.op_type == "OneHotEncoder" for n in model.graph.node)


@pytest.fixture(scope="module")
def data(splits):
    spec = load_feature_spec(splits["features"])
    return spec, load_split(splits["train"], spec), load_split(splits["validation"], spec)


@pytest.mark.parametrize("model_type", ["lr", "xgb"])
def test_the_served_graph_does_not_grow_with_the_categorical_columns(data, model_type):
    """Before the lean encoders the xgb graph had ~180 nodes (2 Gathers, a LabelEncoder and a
    OneHotEncoder per column); every node is a fixed cost of each served request."""
    spec, train, validation = data
    config = with_epoch_unit(model_type, {**default_config(model_type), "diag_bag": True, "icd_groups": True})
    pipeline = train_for_epochs(model_type, spec, config, train.X, train.y, epochs=1).pipeline()
    model = to_onnx(pipeline, spec)
    assert len(spec.categorical) >= 20
    assert len(model.graph.node) <= 70, collections.Counter(n.op_type for n in model.graph.node)
    assert check_parity(model, pipeline, validation.X, spec, model_type) <= 1e-4
