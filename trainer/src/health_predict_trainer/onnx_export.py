"""Fitted pipeline → ONNX graph taking the RAW feature columns; parity check with onnxruntime.

Graph contract (what the TypeScript side relies on):
- two packed inputs: ``numeric`` float32 [None, k] holding features.json's numeric columns in
  order, and ``categorical`` string [None, m] holding its categorical columns in order (an input
  with no column is left out). The pipeline is converted with one [None, 1] input per column;
  its Concats of those columns then become Gathers from the packed inputs. Why packed: every
  graph input costs onnxruntime-node a tensor conversion on each run, and 44 of them made up
  about half the run time of a one-record prediction;
- outputs ``label`` (int64 [N], argmax, i.e. threshold 0.5 — do not use it for decisions) and
  ``probabilities`` (float32 [N, 2], column 1 = P(readmitted)); no ZipMap.
"""
from __future__ import annotations

import re

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

from .data import FeatureSpec
from .errors import ParityError
from .onnx_converters import register_converters

TARGET_OPSET = {"": 20, "ai.onnx.ml": 3}
MAX_IR_VERSION = 9  # onnxruntime-node 1.30 loads IR <= 13; opset 20 ↔ IR 9
PROBABILITY_OUTPUT = "probabilities"
LABEL_OUTPUT = "label"
PARITY_TOLERANCE = 1e-4
NUMERIC_INPUT = "numeric"
CATEGORICAL_INPUT = "categorical"


def initial_types(spec: FeatureSpec) -> list[tuple[str, object]]:
    return ([(c, FloatTensorType([None, 1])) for c in spec.numeric]
            + [(c, StringTensorType([None, 1])) for c in spec.categorical])


def packed_inputs(spec: FeatureSpec) -> list[tuple[str, list[str]]]:
    """The graph's inputs in order, each with the columns it holds; an input with no column is left out."""
    groups = [(NUMERIC_INPUT, list(spec.numeric)), (CATEGORICAL_INPUT, list(spec.categorical))]
    return [(name, columns) for name, columns in groups if columns]


def _pack_inputs(model: onnx.ModelProto, spec: FeatureSpec) -> None:
    """Per-column inputs → the packed ones. The converted pipeline starts by concatenating the
    columns each transformer takes; such a Concat becomes one Gather of those columns from the
    packed input (an Identity when it takes all of them in order), so no string is copied twice.
    Any other consumer of a column gets that column by a Gather of its own."""
    graph = model.graph
    taken = {i.name for i in graph.input} | {i.name for i in graph.initializer}
    taken |= {name for node in graph.node for name in node.output}
    packed = packed_inputs(spec)
    widths = {name: len(columns) for name, columns in packed}
    where = {column: (name, j) for name, columns in packed for j, column in enumerate(columns)}
    inputs = []
    for name, columns in packed:
        if name in taken:
            raise RuntimeError(f"cannot pack the {name} columns into input {name!r}: the graph already has that name")
        elem = TensorProto.FLOAT if name == NUMERIC_INPUT else TensorProto.STRING
        inputs.append(helper.make_tensor_value_info(name, elem, [None, len(columns)]))

    def gather(source: str, indices: list[int], output: str) -> onnx.NodeProto:
        index_name = f"{output}__packed_columns"
        graph.initializer.append(helper.make_tensor(index_name, TensorProto.INT64, [len(indices)], indices))
        return helper.make_node("Gather", [source, index_name], [output], axis=1, name=f"gather_{output}")

    prologue, nodes, unpacked = [], [], set()
    for node in graph.node:
        columns = [where.get(i) for i in node.input]
        sources = {c[0] for c in columns if c}
        axis = next((a.i for a in node.attribute if a.name == "axis"), None)
        if node.op_type == "Concat" and axis in (1, -1) and all(columns) and len(sources) == 1:
            source = sources.pop()
            indices = [j for _, j in columns]
            nodes.append(helper.make_node("Identity", [source], list(node.output), name=node.name)
                         if indices == list(range(widths[source])) else gather(source, indices, node.output[0]))
            continue
        for column in node.input:
            if column in where and column not in unpacked:
                unpacked.add(column)
                prologue.append(gather(where[column][0], [where[column][1]], column))
        nodes.append(node)
    del graph.input[:]
    graph.input.extend(inputs)
    del graph.node[:]
    graph.node.extend(prologue + nodes)


def _rename_inputs(model: onnx.ModelProto, spec: FeatureSpec) -> None:
    """skl2onnx sanitises names (glyburide-metformin → glyburide_metformin): restore the columns."""
    wanted = {}
    for col in spec.features:
        wanted.setdefault(re.sub(r"[^a-zA-Z0-9_]", "_", col), col)
    taken = {i.name for i in model.graph.input}
    for graph_input in model.graph.input:
        old = graph_input.name
        new = wanted.get(old, old)
        if new == old:
            continue
        if new in taken:
            raise RuntimeError(f"cannot rename ONNX input {old} to {new}: name in use")
        graph_input.name = new
        for node in model.graph.node:
            for k, name in enumerate(node.input):
                if name == old:
                    node.input[k] = new
    names = [i.name for i in model.graph.input]
    if names != spec.features:
        raise RuntimeError(f"ONNX inputs {names} do not match the feature columns {spec.features}")


def to_onnx(pipeline: Pipeline, spec: FeatureSpec, metadata: dict[str, str] | None = None) -> onnx.ModelProto:
    register_converters()
    classifier = pipeline.steps[-1][1]
    model = convert_sklearn(
        pipeline,
        initial_types=initial_types(spec),
        options={id(classifier): {"zipmap": False}},
        target_opset=TARGET_OPSET,
        final_types=None,
    )
    _rename_inputs(model, spec)
    _pack_inputs(model, spec)
    outputs = [o.name for o in model.graph.output]
    if outputs != [LABEL_OUTPUT, PROBABILITY_OUTPUT]:
        raise RuntimeError(f"unexpected ONNX outputs {outputs}")
    model.ir_version = min(model.ir_version, MAX_IR_VERSION)
    for key, value in (metadata or {}).items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, str(value)
    onnx.checker.check_model(model)
    return model


def onnx_feed(X: pd.DataFrame, spec: FeatureSpec) -> dict[str, np.ndarray]:
    feed = {}
    for name, columns in packed_inputs(spec):
        if name == NUMERIC_INPUT:
            feed[name] = X[columns].to_numpy(dtype=np.float32)
        else:
            feed[name] = X[columns].astype(str).to_numpy(dtype=object)
    return feed


def onnx_positive_proba(model: onnx.ModelProto | bytes, X: pd.DataFrame, spec: FeatureSpec) -> np.ndarray:
    payload = model if isinstance(model, bytes) else model.SerializeToString()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])
    probabilities = session.run([PROBABILITY_OUTPUT], onnx_feed(X, spec))[0]
    return np.asarray(probabilities)[:, 1]


def parity_probabilities(model: onnx.ModelProto | bytes, pipeline: Pipeline, X: pd.DataFrame,
                         spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """P(positive) over X from the ONNX model and from scikit-learn, in that order."""
    return onnx_positive_proba(model, X, spec), pipeline.predict_proba(X[spec.features])[:, 1]


def parity_diff(actual: np.ndarray, expected: np.ndarray, model_type: str,
                tolerance: float = PARITY_TOLERANCE) -> float:
    """Max |P_onnx − P_sklearn|; raises ParityError above tolerance."""
    diff = float(np.max(np.abs(actual.astype(np.float64) - expected))) if len(expected) else 0.0
    if not np.isfinite(diff) or diff > tolerance:
        worst = int(np.nanargmax(np.abs(actual - expected)))
        raise ParityError(
            f"{model_type}: ONNX probabilities differ from scikit-learn by {diff:.3g} (> {tolerance:g}) "
            f"on the validation rows (worst row {worst}: onnx {actual[worst]:.6f} vs sklearn {expected[worst]:.6f})"
        )
    return diff


def check_parity(model: onnx.ModelProto, pipeline: Pipeline, X: pd.DataFrame, spec: FeatureSpec,
                 model_type: str, tolerance: float = PARITY_TOLERANCE) -> float:
    """Max |P_onnx − P_sklearn| of the positive class over X; raises ParityError above tolerance."""
    return parity_diff(*parity_probabilities(model, pipeline, X, spec), model_type, tolerance)
