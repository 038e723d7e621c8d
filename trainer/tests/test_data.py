import json

import numpy as np
import pandas as pd
import pytest

from conftest import REAL_DATA
from health_predict_trainer.columns import CATEGORICAL_FEATURES, NUMERIC_FEATURES, RAW_COLUMNS, TARGET
from health_predict_trainer.data import load_feature_spec, load_split, require_both_classes
from health_predict_trainer.errors import BadDataError
from health_predict_trainer.origin import clean, make_origin_splits, origin_split_bounds, read_raw
from health_predict_trainer.synthetic import synthetic_raw


def test_splits_follow_the_contract(splits):
    spec = load_feature_spec(splits["features"])
    assert list(spec.numeric) == NUMERIC_FEATURES and list(spec.categorical) == CATEGORICAL_FEATURES
    assert spec.target == TARGET
    header = pd.read_csv(splits["train"], nrows=0).columns.tolist()
    assert header == [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, TARGET]
    train = load_split(splits["train"], spec)
    assert train.X.shape[1] == 44 and set(np.unique(train.y)) == {0, 1}
    assert train.X["max_glu_serum"].isin(["None", "Norm", ">200", ">300"]).all()  # 'None' stays a string
    assert (train.X[list(spec.numeric)].dtypes == "float64").all()


def test_synthetic_is_seeded_and_has_the_raw_schema():
    a, b, c = synthetic_raw(300, seed=1), synthetic_raw(300, seed=1), synthetic_raw(300, seed=2)
    assert list(a.columns) == RAW_COLUMNS
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    cleaned = clean(a)
    assert not cleaned["discharge_disposition_id"].isin([11, 13, 14, 19, 20, 21]).any()
    assert set(cleaned["age_ordinal"]) <= set(range(10))


def test_origin_split_bounds_match_the_origin_project():
    bounds = origin_split_bounds(101_766)
    assert bounds["train"] == (0, 14_247)
    assert bounds["validation"] == (14_247, 17_300)
    assert bounds["test"] == (17_300, 20_353)
    assert bounds["future"] == (20_353, 101_766)


@pytest.mark.skipif(not REAL_DATA.is_file(), reason="real UCI file not present")
def test_origin_splits_on_the_real_file(tmp_path):
    paths = make_origin_splits(REAL_DATA, tmp_path)
    spec = load_feature_spec(paths["features"])
    test = load_split(paths["test"], spec)
    assert abs(test.y.mean() - 0.433) < 0.001
    raw = read_raw(REAL_DATA)
    assert len(raw) == 101_766


def _write(tmp_path, frame: pd.DataFrame, name="train.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_missing_column_is_named(splits, tmp_path):
    spec = load_feature_spec(splits["features"])
    frame = pd.read_csv(splits["train"], dtype=str, keep_default_na=False).drop(columns=["glyburide-metformin"])
    with pytest.raises(BadDataError, match="glyburide-metformin"):
        load_split(_write(tmp_path, frame), spec, "train")


def test_single_class_and_bad_values(splits, tmp_path):
    spec = load_feature_spec(splits["features"])
    frame = pd.read_csv(splits["train"], dtype=str, keep_default_na=False)
    one_class = frame.assign(readmitted_binary="1")
    with pytest.raises(BadDataError, match="single class"):
        require_both_classes(load_split(_write(tmp_path, one_class), spec, "train"), spec.target)
    bad_number = frame.copy()
    bad_number.loc[3, "time_in_hospital"] = "three"
    with pytest.raises(BadDataError, match="time_in_hospital"):
        load_split(_write(tmp_path, bad_number), spec, "train")
    bad_target = frame.assign(readmitted_binary="NO")
    with pytest.raises(BadDataError, match="readmitted_binary"):
        load_split(_write(tmp_path, bad_target), spec, "train")


def test_empty_files_and_bad_features_json(splits, tmp_path):
    spec = load_feature_spec(splits["features"])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(BadDataError, match="empty"):
        load_split(empty, spec, "train")
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join([*spec.features, spec.target]) + "\n")
    with pytest.raises(BadDataError, match="no rows"):
        load_split(header_only, spec, "train")
    features = tmp_path / "features.json"
    features.write_text(json.dumps({"numeric": ["a"], "categorical": "b", "target": "y"}))
    with pytest.raises(BadDataError, match="categorical"):
        load_feature_spec(features)
