"""skl2onnx shape calculators and converters for the custom transformers, plus XGBoost.

Call ``register_converters()`` once before converting. Ops used: Gather, Concat, Abs, Add,
Log, Sign, Mul, ReduceMax, Shape, ConstantOfShape, ScatterElements, Slice (ai.onnx), StringConcat, StringSplit (ai.onnx opset 20),
LabelEncoder (ai.onnx.ml 2+), OneHotEncoder (ai.onnx.ml). All run in onnxruntime (Python and
onnxruntime-node).

Lean graphs: a served request pays a fixed cost per graph node, so string columns that share a
transformer are encoded together instead of one node chain per column. Every element of an
[N, k] string tensor gets its column's prefix (``"<j>\x1f"``, one StringConcat with a [1, k]
constant), and ONE LabelEncoder whose keys carry the same prefixes then maps all k columns at
once (a per-column mapping, since no two columns share a key). One-hot encoding is the same
LabelEncoder onto disjoint index ranges (column j's categories at offset_j + i, unknown → a spare
column D), a ScatterElements of ones into [N, D + 1] zeros and a Slice to D columns: the
concatenation of the k per-column one-hots. skl2onnx's own per-column converter (a Gather, a Cast and a
OneHotEncoder per column) remains the fallback for what the lean form does not cover.
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.operator_converters.one_hot_encoder import convert_sklearn_one_hot_encoder
from skl2onnx.shape_calculators.one_hot_encoder import calculate_sklearn_one_hot_encoder_output_shapes
from sklearn.preprocessing import OneHotEncoder
from xgboost import XGBClassifier

from .transformers import (
    ICD_DEFAULT_GROUP, OTHER, CategoryCollapser, DiagnosisBag, IcdGrouper, SignedLog1p, icd_prefix_table,
)

_NEVER_STRING = "\u0000__never_seen__"
_NEVER_FLOAT = -3.0e38
_ICD_PAD = "~"  # prepended before StringSplit so no string splits into zero tokens
_COLUMN_SEP = "\x1f"  # ends a column prefix: "<j>\x1f<value>" is unambiguous for any value

_registered = False


def _n_cols(operator) -> int:
    shape = operator.inputs[0].type.shape
    return int(shape[1]) if len(shape) > 1 and isinstance(shape[1], int) else 1


def _string_shape(operator):
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = StringTensorType([n, _n_cols(operator)])


def _float_shape(operator):
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([n, _n_cols(operator)])


def _column(scope, container, x_name: str, j: int, n_cols: int) -> str:
    """Column j of a [N, n_cols] tensor as [N, 1]."""
    if n_cols == 1:
        return x_name
    idx = scope.get_unique_variable_name("col_idx")
    container.add_initializer(idx, TensorProto.INT64, [1], [j])
    out = scope.get_unique_variable_name("col")
    container.add_node("Gather", [x_name, idx], [out], axis=1, name=scope.get_unique_operator_name("Gather"))
    return out


def _concat(scope, container, parts: list[str], out_name: str) -> None:
    if len(parts) == 1:
        container.add_node("Identity", parts, [out_name], name=scope.get_unique_operator_name("Identity"))
    else:
        container.add_node("Concat", parts, [out_name], axis=1, name=scope.get_unique_operator_name("Concat"))


def _label_encoder(scope, container, x: str, keys: list, values: list[str], default: str, numeric: bool) -> str:
    out = scope.get_unique_variable_name("labels")
    if not keys:  # an empty mapping is not allowed: one key no input can match
        keys, values = ([_NEVER_FLOAT] if numeric else [_NEVER_STRING]), [default]
    attrs = {"values_strings": list(values), "default_string": default}
    if numeric:
        attrs["keys_floats"] = [float(k) for k in keys]
    else:
        attrs["keys_strings"] = [str(k) for k in keys]
    container.add_node("LabelEncoder", [x], [out], op_domain="ai.onnx.ml", op_version=2,
                       name=scope.get_unique_operator_name("LabelEncoder"), **attrs)
    return out


def _column_prefix(j: int) -> str:
    return f"{j}{_COLUMN_SEP}"


def _prefixed(scope, container, x_name: str, n_cols: int) -> str:
    """[N, k] strings → the same with each column's prefix (one broadcasting StringConcat)."""
    var, name = scope.get_unique_variable_name, scope.get_unique_operator_name
    prefixes, out = var("column_prefixes"), var("prefixed")
    container.add_initializer(prefixes, TensorProto.STRING, [1, n_cols], [_column_prefix(j).encode() for j in range(n_cols)])
    container.add_node("StringConcat", [prefixes, x_name], [out], name=name("StringConcat"), op_version=20)
    return out


def _lean_strings(container, n_cols: int) -> bool:
    """Several string columns → one prefixed LabelEncoder (needs StringConcat, opset 20)."""
    return n_cols > 1 and container.target_opset >= 20


def convert_category_collapser(scope, operator, container):
    model: CategoryCollapser = operator.raw_operator
    x = operator.inputs[0]
    n_cols = _n_cols(operator)
    input_is_string = isinstance(x.type, StringTensorType)
    if input_is_string and not any(model.numeric_) and _lean_strings(container, n_cols):
        keys = [_column_prefix(j) + str(k) for j in range(n_cols) for k in model.keys_[j]]
        values = [str(v) for j in range(n_cols) for v in model.labels_[j]]
        prefixed = _prefixed(scope, container, x.full_name, n_cols)
        if not keys:
            keys, values = [_NEVER_STRING], [OTHER]
        container.add_node("LabelEncoder", [prefixed], [operator.outputs[0].full_name], op_domain="ai.onnx.ml", op_version=2,
                           name=scope.get_unique_operator_name("LabelEncoder"),
                           keys_strings=keys, values_strings=values, default_string=OTHER)
        return
    parts = []
    for j in range(n_cols):
        col = _column(scope, container, x.full_name, j, n_cols)
        numeric = bool(model.numeric_[j])
        if numeric and input_is_string:
            raise RuntimeError(f"column {model.feature_names_in_[j]} was numeric in training but is a string input")
        if not numeric and not input_is_string:
            raise RuntimeError(f"column {model.feature_names_in_[j]} was a string in training but is a float input")
        if numeric and x.type.__class__ is not FloatTensorType:
            cast = scope.get_unique_variable_name("cast")
            container.add_node("Cast", [col], [cast], to=TensorProto.FLOAT, name=scope.get_unique_operator_name("Cast"))
            col = cast
        parts.append(_label_encoder(scope, container, col, model.keys_[j], model.labels_[j], OTHER, numeric))
    _concat(scope, container, parts, operator.outputs[0].full_name)


def convert_signed_log1p(scope, operator, container):
    x = operator.inputs[0].full_name
    name = scope.get_unique_operator_name
    var = scope.get_unique_variable_name
    one = var("one")
    container.add_initializer(one, TensorProto.FLOAT, [], [1.0])
    abs_x, plus, log, sign = var("abs"), var("plus1"), var("log"), var("sign")
    container.add_node("Abs", [x], [abs_x], name=name("Abs"))
    container.add_node("Add", [abs_x, one], [plus], name=name("Add"))
    container.add_node("Log", [plus], [log], name=name("Log"))
    container.add_node("Sign", [x], [sign], name=name("Sign"))
    container.add_node("Mul", [sign, log], [operator.outputs[0].full_name], name=name("Mul"))


def _padded_prefix(scope, container, col: str) -> str:
    """'~' + (the part of col before the first '.'), as [N, 1] strings (StringSplit, opset 20).
    The pad makes every string non-empty, so StringSplit never yields zero tokens."""
    if container.target_opset < 20:
        raise RuntimeError("ICD prefixes need ONNX opset >= 20 (StringConcat, StringSplit)")
    var, name = scope.get_unique_variable_name, scope.get_unique_operator_name
    pad, zero = var("icd_pad"), var("zero")
    container.add_initializer(pad, TensorProto.STRING, [], [_ICD_PAD.encode()])
    container.add_initializer(zero, TensorProto.INT64, [], [0])
    padded, tokens, counts, first = var("padded"), var("tokens"), var("ntokens"), var("prefix")
    container.add_node("StringConcat", [pad, col], [padded], name=name("StringConcat"), op_version=20)
    container.add_node("StringSplit", [padded], [tokens, counts], delimiter=".", maxsplit=1,
                       name=name("StringSplit"), op_version=20)
    container.add_node("Gather", [tokens, zero], [first], axis=2, name=name("Gather"))
    return first


def convert_icd_grouper(scope, operator, container):
    """Every column shares the table: one prefix split and one LabelEncoder over [N, k]."""
    x = operator.inputs[0].full_name
    table = icd_prefix_table()
    keys = [_ICD_PAD + k for k in table]
    values = list(table.values())
    first = _padded_prefix(scope, container, x)
    groups = _label_encoder(scope, container, first, keys, values, ICD_DEFAULT_GROUP, False)
    container.add_node("Identity", [groups], [operator.outputs[0].full_name], name=scope.get_unique_operator_name("Identity"))


def _bag_shape(operator):
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([n, len(operator.raw_operator.vocabulary_)])


def convert_diagnosis_bag(scope, operator, container):
    """terms → LabelEncoder (vocabulary index, -1 unknown) per column → Concat [N, k] →
    ai.onnx.ml OneHotEncoder [N, k, V] (zeros=1: -1 gives a zero row) → ReduceMax over k."""
    model: DiagnosisBag = operator.raw_operator
    x = operator.inputs[0].full_name
    var, name = scope.get_unique_variable_name, scope.get_unique_operator_name
    vocab = list(model.vocabulary_)
    keys = [_ICD_PAD + t for t in vocab] if model.prefix else vocab
    # Every column shares the vocabulary: one LabelEncoder maps the whole [N, k] tensor.
    term = _padded_prefix(scope, container, x) if model.prefix else x
    stacked = var("term_indices")
    container.add_node("LabelEncoder", [term], [stacked], op_domain="ai.onnx.ml", op_version=2,
                       name=name("LabelEncoder"), keys_strings=keys,
                       values_int64s=list(range(len(vocab))), default_int64=-1)
    onehot, axes = var("term_onehot"), var("bag_axes")
    container.add_node("OneHotEncoder", [stacked], [onehot], op_domain="ai.onnx.ml", op_version=1,
                       name=name("OneHotEncoder"), cats_int64s=list(range(len(vocab))), zeros=1)
    container.add_initializer(axes, TensorProto.INT64, [1], [1])
    container.add_node("ReduceMax", [onehot, axes], [operator.outputs[0].full_name], keepdims=0,
                       name=name("ReduceMax"), op_version=18)


def _lean_one_hot(operator, container) -> bool:
    """The lean form covers string input with unknown categories ignored, no drop, no infrequent
    pooling and float output: what ``preprocessing._one_hot`` fits (rare values are pooled by
    the CategoryCollapser before it)."""
    ohe = operator.raw_operator
    return (len(operator.inputs) == 1 and isinstance(operator.inputs[0].type, StringTensorType)
            and ohe.handle_unknown == "ignore" and getattr(ohe, "drop_idx_", None) is None
            and not getattr(ohe, "_infrequent_enabled", False)
            and not np.issubdtype(ohe.dtype, np.signedinteger)
            and sum(len(c) for c in ohe.categories_) > 0
            and (_n_cols(operator) == 1 or _lean_strings(container, _n_cols(operator))))


def convert_one_hot_encoder(scope, operator, container):
    """k string columns → prefixed LabelEncoder onto disjoint index ranges (an unknown category
    → D, a spare column) → ScatterElements of ones into zeros [N, D + 1] → the first D columns.
    O(N·(k + D)) per run, like skl2onnx's per-column form, in a fixed number of nodes."""
    if not _lean_one_hot(operator, container):
        convert_sklearn_one_hot_encoder(scope, operator, container)
        return
    ohe = operator.raw_operator
    x = operator.inputs[0].full_name
    n_cols = _n_cols(operator)
    var, name = scope.get_unique_variable_name, scope.get_unique_operator_name
    keys = []
    for j, categories in enumerate(ohe.categories_):
        prefix = _column_prefix(j) if n_cols > 1 else ""
        keys.extend(prefix + str(c) for c in categories)
    width = len(keys)
    term = _prefixed(scope, container, x, n_cols) if n_cols > 1 else x
    indices = var("category_index")
    container.add_node("LabelEncoder", [term], [indices], op_domain="ai.onnx.ml", op_version=2,
                       name=name("LabelEncoder"), keys_strings=keys,
                       values_int64s=list(range(width)), default_int64=width)
    rows, spare_width, shape, zeros, ones, wide = (var("rows"), var("spare_width"), var("onehot_shape"),
                                                   var("zeros"), var("ones"), var("onehot_spare"))
    container.add_node("Shape", [indices], [rows], start=0, end=1, name=name("Shape"), op_version=15)
    container.add_initializer(spare_width, TensorProto.INT64, [1], [width + 1])
    container.add_node("Concat", [rows, spare_width], [shape], axis=0, name=name("Concat"))
    container.add_node("ConstantOfShape", [shape], [zeros], name=name("ConstantOfShape"),
                       value=helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]))
    index_shape = var("index_shape")
    container.add_node("Shape", [indices], [index_shape], name=name("Shape"))
    container.add_node("ConstantOfShape", [index_shape], [ones], name=name("ConstantOfShape"),
                       value=helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]))
    container.add_node("ScatterElements", [zeros, indices, ones], [wide], axis=1, name=name("ScatterElements"))
    starts, ends, axes = var("slice_starts"), var("slice_ends"), var("slice_axes")
    container.add_initializer(starts, TensorProto.INT64, [1], [0])
    container.add_initializer(ends, TensorProto.INT64, [1], [width])
    container.add_initializer(axes, TensorProto.INT64, [1], [1])
    container.add_node("Slice", [wide, starts, ends, axes], [operator.outputs[0].full_name], name=name("Slice"))


def register_converters() -> None:
    global _registered
    if _registered:
        return
    update_registered_converter(CategoryCollapser, "HealthPredictCategoryCollapser",
                                _string_shape, convert_category_collapser)
    update_registered_converter(SignedLog1p, "HealthPredictSignedLog1p", _float_shape, convert_signed_log1p)
    update_registered_converter(IcdGrouper, "HealthPredictIcdGrouper", _string_shape, convert_icd_grouper)
    update_registered_converter(DiagnosisBag, "HealthPredictDiagnosisBag", _bag_shape, convert_diagnosis_bag)
    # Replaces skl2onnx's converter for every OneHotEncoder converted in this process; the lean
    # form falls back to skl2onnx's own for what it does not cover (see _lean_one_hot).
    update_registered_converter(OneHotEncoder, "SklearnOneHotEncoder",
                                calculate_sklearn_one_hot_encoder_output_shapes, convert_one_hot_encoder)
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost

    update_registered_converter(
        XGBClassifier, "XGBoostXGBClassifier", calculate_linear_classifier_output_shapes, convert_xgboost,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    _registered = True

