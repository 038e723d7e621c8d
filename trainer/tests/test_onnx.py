"""Custom transformers and the ONNX contract: raw named inputs, no ZipMap, parity ≤ 1e-4."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest

from health_predict_trainer.data import load_feature_spec, load_split
from health_predict_trainer.errors import ParityError
from health_predict_trainer.metrics import best_threshold, f1_at
from health_predict_trainer.models import train_for_epochs
from health_predict_trainer.onnx_export import check_parity, onnx_feed, onnx_positive_proba, packed_inputs, to_onnx
from health_predict_trainer.search_spaces import default_config, with_epoch_unit
from health_predict_trainer.transformers import OTHER, CategoryCollapser, DiagnosisBag, IcdGrouper, SignedLog1p

REPO = Path(__file__).resolve().parents[2]
ORT_NODE = REPO / "node_modules" / "onnxruntime-node"


def test_category_collapser_pools_rare_and_unseen_values():
    X = pd.DataFrame({"s": ["a"] * 5 + ["b"] * 2 + ["c"], "n": [1.0] * 6 + [22.0, 3.0]})
    c = CategoryCollapser(min_frequency=2).fit(X)
    out = c.transform(pd.DataFrame({"s": ["a", "b", "c", "zzz"], "n": [1.0, 22.0, 3.0, 99.0]}))
    assert out[:, 0].tolist() == ["a", "b", OTHER, OTHER]
    assert out[:, 1].tolist() == ["1", OTHER, OTHER, OTHER]


def test_icd_grouper_follows_strack_groups():
    codes = ["250.83", "250", "428", "785", "486", "786.5", "530.81", "820", "715", "599", "153", "V45",
             "E878", "Unknown", "", "038", "38", "abc", ".5"]
    groups = IcdGrouper().fit_transform(pd.DataFrame({"d": codes}))[:, 0].tolist()
    assert groups == ["Diabetes", "Diabetes", "Circulatory", "Circulatory", "Respiratory", "Respiratory",
                      "Digestive", "Injury", "Musculoskeletal", "Genitourinary", "Neoplasms", "Supplementary",
                      "External", "Missing", "Missing", "Other", "Other", "Other", "Missing"]


def test_diagnosis_bag_is_position_free():
    X = pd.DataFrame({"d1": ["428", "250.8", "428", "V45"], "d2": ["250.8", "428.1", "E1", "428"]})
    bag = DiagnosisBag(min_frequency=2).fit(X)
    assert bag.vocabulary_ == ["250.8", "428"]  # counted once per row
    assert bag.transform(X).toarray().tolist() == [[1, 1], [1, 0], [0, 1], [0, 1]]
    categories = DiagnosisBag(min_frequency=2, prefix=True).fit(X)
    assert categories.vocabulary_ == ["250", "428"]
    assert categories.transform(X).toarray().tolist() == [[1, 1], [1, 1], [0, 1], [0, 1]]
    assert DiagnosisBag(min_frequency=99).fit(X).transform(X).shape == (4, 1)  # never-matching column


def test_signed_log1p():
    out = SignedLog1p().fit_transform(np.array([[0.0], [3.0], [-3.0]]))
    assert np.allclose(out[:, 0], [0.0, np.log(4), -np.log(4)])


def test_best_threshold_maximises_f1_and_sits_between_scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = np.clip(y * 0.2 + rng.random(400) * 0.8, 0, 1)
    threshold, f1 = best_threshold(y, p)
    assert f1 == pytest.approx(f1_at(y, p, threshold))
    assert all(f1_at(y, p, t) <= f1 + 1e-12 for t in np.linspace(0, 1, 201))
    assert not np.any(np.isclose(p, threshold, atol=1e-9, rtol=0))


def _edge_rows(X: pd.DataFrame) -> pd.DataFrame:
    """Validation rows plus unseen categories, odd ICD codes and unseen numeric codes."""
    extra = X.head(6).copy()
    extra["diag_1"] = ["", ".5", "abc", "250.8.1", "V99.99", "999999"]
    extra["race"] = "Martian"
    extra["glyburide-metformin"] = "Sideways"
    extra["discharge_disposition_id"] = [99.0, 1.0, 3.0, 6.0, 0.0, 28.0]
    return pd.concat([X, extra], ignore_index=True)


@pytest.fixture(scope="module")
def data(splits):
    spec = load_feature_spec(splits["features"])
    return spec, load_split(splits["train"], spec), load_split(splits["validation"], spec)


@pytest.mark.parametrize("model_type", ["lr", "rf", "xgb"])
@pytest.mark.parametrize("diag_features", [False, True])
def test_onnx_contract_and_parity(data, model_type, diag_features, tmp_path):
    spec, train, validation = data
    extra = {"icd_groups": diag_features, "diag_bag": diag_features}
    config = with_epoch_unit(model_type, {**default_config(model_type), **extra})
    pipeline = train_for_epochs(model_type, spec, config, train.X, train.y, epochs=2).pipeline()
    model = to_onnx(pipeline, spec)
    assert [i.name for i in model.graph.input] == ["numeric", "categorical"]
    assert packed_inputs(spec) == [("numeric", list(spec.numeric)), ("categorical", list(spec.categorical))]
    for graph_input, (expected, columns) in zip(model.graph.input, [(onnx.TensorProto.FLOAT, spec.numeric),
                                                                   (onnx.TensorProto.STRING, spec.categorical)]):
        tensor = graph_input.type.tensor_type
        assert tensor.elem_type == expected
        assert [d.dim_value for d in tensor.shape.dim][1] == len(columns)
    # the transformers' Concats of single columns became Gathers from the packed inputs: no
    # string is split out of them and concatenated back
    assert not any(n.op_type in ("Split", "Concat") and set(n.input) & set(spec.features) for n in model.graph.node)
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    assert not any(n.op_type == "ZipMap" for n in model.graph.node)
    rows = _edge_rows(validation.X)
    diff = check_parity(model, pipeline, rows, spec, model_type)
    assert diff <= 1e-4
    if ORT_NODE.is_dir() and shutil.which("node") and model_type == "xgb" and diag_features:
        _check_in_onnxruntime_node(model, rows, spec, pipeline, tmp_path)


def test_parity_failure_raises(data):
    spec, train, validation = data
    pipeline = train_for_epochs("lr", spec, with_epoch_unit("lr", default_config("lr")), train.X, train.y, 1).pipeline()
    model = to_onnx(pipeline, spec)
    pipeline.named_steps["model"].coef_ = pipeline.named_steps["model"].coef_ * 3
    with pytest.raises(ParityError, match="lr: ONNX probabilities differ"):
        check_parity(model, pipeline, validation.X, spec, "lr")


def _check_in_onnxruntime_node(model, rows, spec, pipeline, tmp_path):
    """The TypeScript side's runtime loads the graph and gets the same probabilities."""
    model_path = tmp_path / "model.onnx"
    onnx.save(model, model_path)
    feed = onnx_feed(rows, spec)
    payload = {name: {"values": [str(v) if name == "categorical" else float(v) for v in arr.ravel()], "columns": arr.shape[1]}
               for name, arr in feed.items()}
    (tmp_path / "feed.json").write_text(json.dumps({"rows": len(rows), "feed": payload}))
    script = tmp_path / "run.cjs"
    script.write_text(f"""
const ort = require({json.dumps(str(ORT_NODE))});
const input = require({json.dumps(str(tmp_path / 'feed.json'))});
(async () => {{
  const session = await ort.InferenceSession.create({json.dumps(str(model_path))});
  const feeds = {{}};
  for (const [name, {{ values, columns }}] of Object.entries(input.feed)) {{
    feeds[name] = name === 'numeric'
      ? new ort.Tensor('float32', Float32Array.from(values), [input.rows, columns])
      : new ort.Tensor('string', values, [input.rows, columns]);
  }}
  const out = await session.run(feeds);
  const p = Array.from(out.probabilities.data);
  console.log(JSON.stringify({{inputs: session.inputNames, dims: out.probabilities.dims, p1: p.filter((_, i) => i % 2 === 1)}}));
}})().catch((e) => {{ console.error(e); process.exit(1); }});
""")
    proc = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/local/bin:/usr/bin:/bin", "ONNXRUNTIME_NODE_INSTALL": "skip"})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["inputs"] == ["numeric", "categorical"]
    assert result["dims"] == [len(rows), 2]
    expected = pipeline.predict_proba(rows[spec.features])[:, 1]
    assert np.max(np.abs(np.array(result["p1"]) - expected)) <= 1e-4
    assert np.allclose(result["p1"], onnx_positive_proba(model, rows, spec), atol=1e-6)
