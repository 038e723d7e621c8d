"""Raw UCI file → cleaned split CSVs, following the origin project's conventions.

For tests and the benchmark only: the product's data preparation is the Node data task.
Conventions (shared/notes/dataset.md): '?' → missing; drop weight, payer_code,
medical_specialty, encounter_id, patient_nbr; race / diag_* missing → 'Unknown'; drop rows
whose discharge_disposition_id means death or hospice; readmitted_binary = readmitted != 'NO';
age_ordinal 0–9. Split unshuffled on the RAW row positions: the first 20 % is the initial set
(train = first 70 %, validation = next 15 %, test = last 15 %), then each part is cleaned.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .columns import (
    AGE_BRACKETS, CATEGORICAL_FEATURES, DROPPED_COLUMNS, EXCLUDED_DISCHARGE_DISPOSITIONS,
    FEATURE_SPEC, NUMERIC_FEATURES, TARGET,
)

MISSING_TO_UNKNOWN = ["race", "diag_1", "diag_2", "diag_3"]


def read_raw(path: str | Path) -> pd.DataFrame:
    """Reads the raw file as strings ('None' stays the literal string, not NaN)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])


def origin_split_bounds(n_rows: int, initial_fraction: float = 0.2,
                        test_size: float = 0.15, validation_size: float = 0.15) -> dict[str, tuple[int, int]]:
    """Row ranges [start, stop) of the origin split (sklearn train_test_split, shuffle=False)."""
    n_initial = math.floor(n_rows * initial_fraction)
    n_test = math.ceil(n_initial * test_size)
    n_train_val = n_initial - n_test
    n_val = math.ceil(n_train_val * (validation_size / (1.0 - test_size)))
    n_train = n_train_val - n_val
    return {
        "train": (0, n_train),
        "validation": (n_train, n_train + n_val),
        "test": (n_train + n_val, n_initial),
        "future": (n_initial, n_rows),
    }


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Cleans raw rows into the model's columns (numeric features, categorical features, target)."""
    df = raw.drop(columns=[c for c in DROPPED_COLUMNS if c in raw.columns]).copy()
    for col in MISSING_TO_UNKNOWN:
        df[col] = df[col].replace({"?": "Unknown", "": "Unknown"})
    disposition = pd.to_numeric(df["discharge_disposition_id"], errors="raise")
    df = df[~disposition.isin(EXCLUDED_DISCHARGE_DISPOSITIONS)].copy()
    age_map = {bracket: i for i, bracket in enumerate(AGE_BRACKETS)}
    df["age_ordinal"] = df["age"].map(age_map)
    if df["age_ordinal"].isna().any():
        bad = sorted(df.loc[df["age_ordinal"].isna(), "age"].unique())[:5]
        raise ValueError(f"unknown age brackets: {bad}")
    df[TARGET] = (df["readmitted"] != "NO").astype(int)
    for col in NUMERIC_FEATURES:
        df[col] = pd.to_numeric(df[col], errors="raise").astype("int64")
    return df[[*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, TARGET]].reset_index(drop=True)


def write_splits(splits: dict[str, pd.DataFrame], out_dir: str | Path,
                 feature_spec: dict | None = None) -> dict[str, Path]:
    """Writes train/validation/test CSVs and features.json; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, frame in splits.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths[name] = path
    features = out / "features.json"
    features.write_text(json.dumps(feature_spec or FEATURE_SPEC, indent=2))
    paths["features"] = features
    return paths


def make_origin_splits(raw_path: str | Path, out_dir: str | Path) -> dict[str, Path]:
    """Raw UCI CSV → cleaned train/validation/test CSVs + features.json in out_dir."""
    raw = read_raw(raw_path)
    bounds = origin_split_bounds(len(raw))
    splits = {name: clean(raw.iloc[a:b]) for name, (a, b) in bounds.items() if name != "future"}
    return write_splits(splits, out_dir)
