"""Loading and validating the cleaned split CSVs and features.json (the Node data task's output).

Column roles always come from features.json. Every contract violation raises BadDataError
with a message naming the file, the column and the problem (the CLI maps it to exit 97).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import BadDataError


@dataclass(frozen=True)
class FeatureSpec:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    target: str

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def to_dict(self) -> dict:
        return {"numeric": list(self.numeric), "categorical": list(self.categorical), "target": self.target}


@dataclass(frozen=True)
class Split:
    name: str
    X: pd.DataFrame  # numeric columns float64, categorical columns str (object)
    y: np.ndarray  # int64 0/1

    def __len__(self) -> int:
        return len(self.y)


def load_feature_spec(path: str | Path) -> FeatureSpec:
    p = Path(path)
    if not p.is_file():
        raise BadDataError(f"features file not found: {p}")
    try:
        raw = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise BadDataError(f"features file {p} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise BadDataError(f"features file {p} must hold an object {{numeric, categorical, target}}")
    for key in ("numeric", "categorical"):
        value = raw.get(key)
        if not isinstance(value, list) or not all(isinstance(c, str) and c for c in value):
            raise BadDataError(f"features file {p}: '{key}' must be a list of column names")
    target = raw.get("target")
    if not isinstance(target, str) or not target:
        raise BadDataError(f"features file {p}: 'target' must be a column name")
    numeric, categorical = tuple(raw["numeric"]), tuple(raw["categorical"])
    if not numeric and not categorical:
        raise BadDataError(f"features file {p}: no feature columns")
    seen: set[str] = set()
    for col in [*numeric, *categorical, target]:
        if col in seen:
            raise BadDataError(f"features file {p}: column '{col}' is listed twice")
        seen.add(col)
    return FeatureSpec(numeric, categorical, target)


def load_split(path: str | Path, spec: FeatureSpec, name: str | None = None) -> Split:
    """Reads one split; categorical values stay literal strings ('None' is not NaN)."""
    p = Path(path)
    label = name or p.stem
    if not p.is_file():
        raise BadDataError(f"{label} split not found: {p}")
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.EmptyDataError as exc:
        raise BadDataError(f"{label} split {p} is empty (no header)") from exc
    return validate_frame(frame, spec, label)


def validate_frame(frame: pd.DataFrame, spec: FeatureSpec, label: str) -> Split:
    missing = [c for c in [*spec.features, spec.target] if c not in frame.columns]
    if missing:
        raise BadDataError(f"{label} split: missing column(s) {', '.join(missing)}")
    if len(frame) == 0:
        raise BadDataError(f"{label} split: no rows")
    X = pd.DataFrame(index=frame.index)
    for col in spec.numeric:
        text = frame[col].astype(str).str.strip()
        values = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            raise BadDataError(f"{label} split: numeric column '{col}' has non-numeric values ({examples})")
        if values.isna().all():
            raise BadDataError(f"{label} split: numeric column '{col}' is entirely empty")
        X[col] = values.astype("float64")
    for col in spec.categorical:
        X[col] = frame[col].astype(str).astype(object)
    target = frame[spec.target].astype(str).str.strip()
    bad_target = ~target.isin(["0", "1", "0.0", "1.0"])
    if bad_target.any():
        examples = ", ".join(repr(v) for v in target[bad_target].unique()[:3])
        raise BadDataError(f"{label} split: target column '{spec.target}' must be 0/1, found {examples}")
    y = target.astype(float).astype("int64").to_numpy()
    return Split(label, X.reset_index(drop=True), y)


def require_both_classes(split: Split, target: str) -> None:
    classes = np.unique(split.y)
    if len(classes) < 2:
        raise BadDataError(
            f"{split.name} split: target column '{target}' has a single class ({int(classes[0])}); need both 0 and 1"
        )
