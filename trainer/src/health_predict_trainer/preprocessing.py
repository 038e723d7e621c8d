"""The ColumnTransformer every model type shares (all of it exports to ONNX).

numeric  → median imputation → optional signed log1p → StandardScaler (linear model);
           tree models get imputation only (scale-free, and exact: XGBoost's histogram cuts
           sit ON observed values, so a 1-ulp float32 scaling error in ONNX would flip splits)
numeric code columns (name ends in '_id', e.g. discharge_disposition_id) → also one-hot
           categories (CategoryCollapser + OneHotEncoder), because their values are codes
categorical → CategoryCollapser(min_frequency) → OneHotEncoder(handle_unknown='ignore')
ICD-9 columns (name 'diag_<n>'), optional → IcdGrouper → OneHotEncoder (Strack groups)
ICD-9 columns, optional → DiagnosisBag of codes and of 3-character categories (position-free:
           "any diagnosis is 428.x", whichever of diag_1..3 holds it); with the bag,
           ``secondary_diag_onehot=False`` one-hot encodes only the primary diagnosis (the
           lowest-numbered ICD column): the order of the secondary ones carries no meaning and
           the bag already holds their codes

Column roles come from the FeatureSpec (features.json); the name rules above only add
derived encodings and never drop a column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .data import FeatureSpec
from .transformers import CategoryCollapser, DiagnosisBag, IcdGrouper, SignedLog1p

CODE_COLUMN = re.compile(r".*_id$")
ICD_COLUMN = re.compile(r"^diag_\d+$")


@dataclass(frozen=True)
class PreprocessOptions:
    min_frequency: int = 10
    log_numeric: bool = True
    codes_as_categories: bool = True
    icd_groups: bool = False
    diag_bag: bool = False
    secondary_diag_onehot: bool = True  # False (only with diag_bag): diag_2.. reach the model via the bag
    scale_numeric: bool = True  # False for tree models: numeric columns pass through unchanged
    dense: bool = False  # XGBoost needs dense input: sparse zeros would be "missing" to it

    @classmethod
    def from_config(cls, config: dict, *, scale_numeric: bool = True, dense: bool = False) -> "PreprocessOptions":
        return cls(
            min_frequency=int(config.get("min_frequency", cls.min_frequency)),
            log_numeric=bool(config.get("log_numeric", cls.log_numeric)),
            codes_as_categories=bool(config.get("codes_as_categories", cls.codes_as_categories)),
            icd_groups=bool(config.get("icd_groups", cls.icd_groups)),
            diag_bag=bool(config.get("diag_bag", cls.diag_bag)),
            secondary_diag_onehot=bool(config.get("secondary_diag_onehot", cls.secondary_diag_onehot)),
            scale_numeric=scale_numeric,
            dense=dense,
        )


def _one_hot(min_frequency: int) -> Pipeline:
    return Pipeline([
        ("collapse", CategoryCollapser(min_frequency=min_frequency)),
        ("onehot", OneHotEncoder(handle_unknown="ignore", dtype="float64")),
    ])


def build_preprocessor(spec: FeatureSpec, options: PreprocessOptions) -> ColumnTransformer:
    transformers = []
    if spec.numeric:
        steps = [("impute", SimpleImputer(strategy="median"))]
        if options.scale_numeric:
            if options.log_numeric:
                steps.append(("log1p", SignedLog1p()))
            steps.append(("scale", StandardScaler()))
        transformers.append(("numeric", Pipeline(steps), list(spec.numeric)))
    codes = [c for c in spec.numeric if CODE_COLUMN.match(c)]
    if options.codes_as_categories and codes:
        transformers.append(("codes", _one_hot(options.min_frequency), codes))
    icd = sorted((c for c in spec.categorical if ICD_COLUMN.match(c)), key=lambda c: int(c.rsplit("_", 1)[1]))
    secondary = set(icd[1:]) if options.diag_bag and not options.secondary_diag_onehot else set()
    one_hot = [c for c in spec.categorical if c not in secondary]
    if one_hot:
        transformers.append(("categorical", _one_hot(options.min_frequency), one_hot))
    if options.icd_groups and icd:
        transformers.append(("icd_groups", Pipeline([
            ("group", IcdGrouper()),
            ("onehot", OneHotEncoder(handle_unknown="ignore", dtype="float64")),
        ]), icd))
    if options.diag_bag and icd:
        transformers.append(("diag_bag", DiagnosisBag(min_frequency=options.min_frequency), icd))
        transformers.append(("diag_category_bag", DiagnosisBag(min_frequency=options.min_frequency, prefix=True), icd))
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0 if options.dense else 0.3)
