"""Which encodings the shared ColumnTransformer builds (ONNX parity of each: test_onnx.py)."""
import pytest

from health_predict_trainer.data import load_feature_spec, load_split
from health_predict_trainer.preprocessing import PreprocessOptions, build_preprocessor
from health_predict_trainer.search_spaces import default_config


@pytest.fixture(scope="module")
def data(splits):
    spec = load_feature_spec(splits["features"])
    return spec, load_split(splits["train"], spec)


def _output_names(spec, train, **options) -> list[str]:
    pre = build_preprocessor(spec, PreprocessOptions(scale_numeric=False, dense=True, **options))
    pre.fit(train.X[spec.features], train.y)
    return list(pre.get_feature_names_out())


def _one_hot_sources(spec, names: list[str]) -> set[str]:
    """The categorical columns that got one-hot outputs."""
    return {c for c in spec.categorical if any(n.startswith(f"categorical__{c}_") for n in names)}


def test_secondary_diagnoses_reach_the_model_only_through_the_bag(data):
    spec, train = data
    names = _output_names(spec, train, diag_bag=True, secondary_diag_onehot=False)
    sources = _one_hot_sources(spec, names)
    assert "diag_1" in sources and not {"diag_2", "diag_3"} & sources
    assert any(n.startswith("diag_bag__dx_") for n in names)
    assert any(n.startswith("diag_category_bag__dxcat_") for n in names)
    assert {"race", "insulin", "glyburide-metformin"} <= sources  # the other categoricals are untouched


def test_without_the_bag_every_diagnosis_keeps_its_one_hot(data):
    spec, train = data
    names = _output_names(spec, train, diag_bag=False, secondary_diag_onehot=False)
    assert {"diag_1", "diag_2", "diag_3"} <= _one_hot_sources(spec, names)
    assert not any(n.startswith("diag_") for n in names)


def test_default_xgboost_config_uses_the_primary_diagnosis_one_hot_and_the_bag():
    options = PreprocessOptions.from_config(default_config("xgb"), scale_numeric=False, dense=True)
    assert options.diag_bag and not options.secondary_diag_onehot
    assert PreprocessOptions.from_config({}).secondary_diag_onehot  # other model types: unchanged
