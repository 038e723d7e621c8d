"""Epoch trainers: each model type grows by one "epoch" per ``step()``.

- lr:  LogisticRegression(class_weight='balanced', warm_start=True); an epoch = ``iters_per_epoch``
       more lbfgs iterations continuing from the previous coefficients.
- rf:  RandomForestClassifier(warm_start=True); an epoch = ``trees_per_epoch`` more trees.
- xgb: XGBClassifier; an epoch = ``rounds_per_epoch`` more boosting rounds, continued with
       ``fit(..., xgb_model=booster)``.
The preprocessor is fitted once on the training rows; ``pipeline()`` returns the fitted
Pipeline(preprocess → model) that is exported to ONNX.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from . import MODEL_TYPES
from .data import FeatureSpec
from .preprocessing import PreprocessOptions, build_preprocessor

class EpochTrainer:
    model_type = ""
    scale_numeric = True
    dense = False

    def __init__(self, spec: FeatureSpec, config: dict, seed: int = 0, n_jobs: int = 1):
        self.spec = spec
        self.config = dict(config)
        self.seed = seed
        self.n_jobs = n_jobs
        self.epoch = 0
        self.preprocessor = build_preprocessor(
            spec, PreprocessOptions.from_config(config, scale_numeric=self.scale_numeric, dense=self.dense))
        self.model = None
        self._X = None
        self._y = None

    def fit_preprocessor(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self._X = self.preprocessor.fit_transform(X[self.spec.features], y)
        self._y = np.asarray(y)

    def transform(self, X: pd.DataFrame):
        return self.preprocessor.transform(X[self.spec.features])

    def step(self) -> None:
        if self._X is None:
            raise RuntimeError("fit_preprocessor() first")
        self.epoch += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            warnings.simplefilter("ignore", category=UserWarning)
            self._step()

    def _step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba_transformed(self, Xt) -> np.ndarray:
        return self.model.predict_proba(Xt)[:, 1]

    def pipeline(self) -> Pipeline:
        self._finalize()
        return Pipeline([("preprocess", self.preprocessor), ("model", self.model)])

    def _finalize(self) -> None:
        pass


class LogisticTrainer(EpochTrainer):
    model_type = "lr"

    def _step(self) -> None:
        if self.model is None:
            self.model = LogisticRegression(
                C=float(self.config.get("C", 0.1)),
                class_weight="balanced",
                solver="lbfgs",
                max_iter=int(self.config.get("iters_per_epoch", 25)),
                tol=1e-6,
                warm_start=True,
                random_state=self.seed,
            )
        self.model.fit(self._X, self._y)


class ForestTrainer(EpochTrainer):
    model_type = "rf"
    scale_numeric = False

    def _step(self) -> None:
        per_epoch = int(self.config.get("trees_per_epoch", 30))
        if self.model is None:
            max_depth = self.config.get("max_depth", 20)
            self.model = RandomForestClassifier(
                n_estimators=per_epoch,
                max_depth=None if max_depth in (None, 0, "none") else int(max_depth),
                min_samples_leaf=int(self.config.get("min_samples_leaf", 3)),
                max_features=self.config.get("max_features", "sqrt"),
                class_weight=self.config.get("class_weight", "balanced_subsample"),
                warm_start=True,
                n_jobs=self.n_jobs,
                random_state=self.seed,
            )
        else:
            self.model.set_params(n_estimators=per_epoch * self.epoch)
        self.model.fit(self._X, self._y)


class XGBoostTrainer(EpochTrainer):
    model_type = "xgb"
    scale_numeric = False
    dense = True

    def _params(self) -> dict:
        c = self.config
        return dict(
            n_estimators=int(c.get("rounds_per_epoch", 90)),
            learning_rate=float(c.get("learning_rate", 0.03)),
            max_depth=int(c.get("max_depth", 5)),
            min_child_weight=float(c.get("min_child_weight", 5.0)),
            subsample=float(c.get("subsample", 0.8)),
            colsample_bytree=float(c.get("colsample_bytree", 0.5)),
            reg_lambda=float(c.get("reg_lambda", 1.0)),
            gamma=float(c.get("gamma", 0.0)),
            tree_method="hist",
            objective="binary:logistic",
            eval_metric="logloss",
            n_jobs=self.n_jobs,
            random_state=self.seed,
        )

    def _step(self) -> None:
        previous = self.model.get_booster() if self.model is not None else None
        model = XGBClassifier(**self._params())
        model.fit(self._X, self._y, xgb_model=previous, verbose=False)
        self.model = model

    def _finalize(self) -> None:
        # the ONNX converter reads n_estimators: make it the total number of rounds
        self.model.set_params(n_estimators=self.model.get_booster().num_boosted_rounds())


TRAINERS: dict[str, Callable[..., EpochTrainer]] = {
    "lr": LogisticTrainer,
    "rf": ForestTrainer,
    "xgb": XGBoostTrainer,
}


def make_trainer(model_type: str, spec: FeatureSpec, config: dict, seed: int = 0, n_jobs: int = 1) -> EpochTrainer:
    try:
        return TRAINERS[model_type](spec, config, seed=seed, n_jobs=n_jobs)
    except KeyError:
        raise ValueError(f"unknown model type {model_type!r} (expected one of {', '.join(MODEL_TYPES)})") from None


def train_for_epochs(model_type: str, spec: FeatureSpec, config: dict, X: pd.DataFrame, y: np.ndarray,
                     epochs: int, seed: int = 0, n_jobs: int = 1) -> EpochTrainer:
    trainer = make_trainer(model_type, spec, config, seed=seed, n_jobs=n_jobs)
    trainer.fit_preprocessor(X, y)
    for _ in range(max(1, int(epochs))):
        trainer.step()
    return trainer
