"""Custom scikit-learn transformers, each with an ONNX converter in ``onnx_converters``.

- ``CategoryCollapser``: per column, values seen fewer than ``min_frequency`` times in the
  training data (and values never seen) become ``OTHER``; output strings. Works on string
  columns and on numeric code columns (e.g. discharge_disposition_id → one-hot categories).
- ``SignedLog1p``: sign(x)·log(1 + |x|) for skewed counts (helps the linear model).
- ``IcdGrouper``: ICD-9 code → Strack et al. (2014) diagnosis group, decided by the code's
  prefix before the first '.', so the ONNX graph can reproduce it with StringSplit.
- ``DiagnosisBag``: position-free indicators over diag_1..diag_n: one column per frequent
  code (or 3-character category, the prefix before '.'), 1 when any diagnosis column has it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

OTHER = "__other__"


def _columns(X) -> list[pd.Series]:
    if isinstance(X, pd.DataFrame):
        return [X.iloc[:, j] for j in range(X.shape[1])]
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    return [pd.Series(arr[:, j]) for j in range(arr.shape[1])]


def _input_names(X, n: int) -> np.ndarray:
    if isinstance(X, pd.DataFrame):
        return np.asarray(X.columns, dtype=object)
    return np.asarray([f"x{j}" for j in range(n)], dtype=object)


def numeric_label(value: float) -> str:
    """The category label of a numeric code: '3' for 3.0, repr otherwise."""
    v = float(value)
    return str(int(v)) if v.is_integer() else repr(v)


class CategoryCollapser(TransformerMixin, BaseEstimator):
    """Keeps categories seen ≥ min_frequency times in training; everything else → OTHER."""

    def __init__(self, min_frequency: int = 1):
        self.min_frequency = min_frequency

    def fit(self, X, y=None):
        cols = _columns(X)
        self.feature_names_in_ = _input_names(X, len(cols))
        self.numeric_ = []
        self.keys_ = []
        self.labels_ = []
        for col in cols:
            numeric = pd.api.types.is_numeric_dtype(col.dtype)
            counts = col.value_counts(dropna=True)
            kept = sorted(counts[counts >= max(1, int(self.min_frequency))].index.tolist(), key=str)
            if numeric:
                keys = [float(k) for k in kept]
                labels = [numeric_label(k) for k in keys]
            else:
                keys = [str(k) for k in kept]
                labels = list(keys)
            self.numeric_.append(numeric)
            self.keys_.append(keys)
            self.labels_.append(labels)
        self.n_features_in_ = len(cols)
        return self

    def transform(self, X):
        check_is_fitted(self, "keys_")
        cols = _columns(X)
        if len(cols) != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} columns, got {len(cols)}")
        out = np.empty((len(cols[0]) if cols else 0, len(cols)), dtype=object)
        for j, col in enumerate(cols):
            mapping = dict(zip(self.keys_[j], self.labels_[j]))
            values = pd.to_numeric(col, errors="coerce").astype(float) if self.numeric_[j] else col.astype(str)
            out[:, j] = values.map(mapping).fillna(OTHER).to_numpy(dtype=object)
        return out

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_in_ if input_features is None else input_features, dtype=object)


class SignedLog1p(TransformerMixin, BaseEstimator):
    """sign(x) · log(1 + |x|), column-wise (no state)."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        arr = np.asarray(X, dtype=np.float64)
        return np.sign(arr) * np.log1p(np.abs(arr))

    def get_feature_names_out(self, input_features=None):
        if input_features is None:
            return np.asarray([f"x{j}" for j in range(self.n_features_in_)], dtype=object)
        return np.asarray(input_features, dtype=object)


# --- ICD-9 → Strack et al. groups, keyed by the code's prefix before the first '.' ---------
ICD_MISSING_GROUP = "Missing"
ICD_DEFAULT_GROUP = "Other"


def _numeric_group(v: int) -> str:
    if 390 <= v <= 459 or v == 785:
        return "Circulatory"
    if 460 <= v <= 519 or v == 786:
        return "Respiratory"
    if 520 <= v <= 579 or v == 787:
        return "Digestive"
    if v == 250:
        return "Diabetes"
    if 800 <= v <= 999:
        return "Injury"
    if 710 <= v <= 739:
        return "Musculoskeletal"
    if 580 <= v <= 629 or v == 788:
        return "Genitourinary"
    if 140 <= v <= 239:
        return "Neoplasms"
    return ICD_DEFAULT_GROUP


def icd_prefix_table() -> dict[str, str]:
    """Every prefix with a group other than the default: '1'..'999' (also zero-padded),
    'V01'..'V99', 'E000'..'E999', 'Unknown' / '?' / '' (missing)."""
    table: dict[str, str] = {}
    for v in range(0, 1000):
        group = _numeric_group(v)
        if group != ICD_DEFAULT_GROUP:
            for key in {str(v), f"{v:03d}"}:
                table[key] = group
    for v in range(0, 100):
        table[f"V{v:02d}"] = "Supplementary"
    for v in range(0, 1000):
        table[f"E{v:03d}"] = "External"
    for key in ("Unknown", "?", ""):
        table[key] = ICD_MISSING_GROUP
    return table


_ICD_TABLE = icd_prefix_table()


def icd_group(code: str) -> str:
    return _ICD_TABLE.get(str(code).split(".", 1)[0], ICD_DEFAULT_GROUP)


class IcdGrouper(TransformerMixin, BaseEstimator):
    """ICD-9 code columns → diagnosis-group columns (stateless)."""

    def fit(self, X, y=None):
        cols = _columns(X)
        self.feature_names_in_ = _input_names(X, len(cols))
        self.n_features_in_ = len(cols)
        return self

    def transform(self, X):
        cols = _columns(X)
        out = np.empty((len(cols[0]) if cols else 0, len(cols)), dtype=object)
        for j, col in enumerate(cols):
            prefix = col.astype(str).str.split(".", n=1).str[0]
            out[:, j] = prefix.map(_ICD_TABLE).fillna(ICD_DEFAULT_GROUP).to_numpy(dtype=object)
        return out

    def get_feature_names_out(self, input_features=None):
        names = self.feature_names_in_ if input_features is None else input_features
        return np.asarray([f"{n}_group" for n in names], dtype=object)


def icd_prefix(values: pd.Series) -> pd.Series:
    """The part before the first '.' ('250.83' → '250'); same rule as the ONNX StringSplit."""
    return values.astype(str).str.split(".", n=1).str[0]


NEVER_SEEN = "\u0000__never_seen__"


class DiagnosisBag(TransformerMixin, BaseEstimator):
    """Bag of diagnosis codes over several columns (sparse 0/1 matrix, one column per term)."""

    def __init__(self, min_frequency: int = 10, prefix: bool = False):
        self.min_frequency = min_frequency
        self.prefix = prefix

    def _terms(self, X) -> list[pd.Series]:
        cols = [c.astype(str) for c in _columns(X)]
        return [icd_prefix(c) for c in cols] if self.prefix else cols

    def fit(self, X, y=None):
        terms = self._terms(X)
        self.n_features_in_ = len(terms)
        # count each term once per row, whatever the number of columns holding it
        stacked = pd.concat([t.rename("term").to_frame().assign(row=np.arange(len(t))) for t in terms])
        counts = stacked.drop_duplicates()["term"].value_counts()
        vocab = sorted(counts[counts >= max(1, int(self.min_frequency))].index.tolist())
        self.vocabulary_ = vocab or [NEVER_SEEN]
        return self

    def transform(self, X):
        check_is_fitted(self, "vocabulary_")
        terms = self._terms(X)
        index = {term: j for j, term in enumerate(self.vocabulary_)}
        n = len(terms[0]) if terms else 0
        rows, cols = [], []
        for t in terms:
            idx = t.map(index)
            hit = idx.notna().to_numpy()
            rows.append(np.arange(n)[hit])
            cols.append(idx[hit].astype(np.int64).to_numpy())
        r = np.concatenate(rows) if rows else np.empty(0, np.int64)
        c = np.concatenate(cols) if cols else np.empty(0, np.int64)
        matrix = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, len(self.vocabulary_)))
        matrix.sum_duplicates()
        matrix.data = np.minimum(matrix.data, 1.0)
        return matrix

    def get_feature_names_out(self, input_features=None):
        kind = "dxcat" if self.prefix else "dx"
        return np.asarray([f"{kind}_{t}" for t in self.vocabulary_], dtype=object)
