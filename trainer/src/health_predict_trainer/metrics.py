"""Validation metrics and the F1-maximising decision threshold."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, log_loss, precision_recall_curve, roc_auc_score


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``p >= threshold`` on (y, p)."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    precision, recall, thresholds = precision_recall_curve(y, p)
    precision, recall = precision[:-1], recall[:-1]
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    i = int(np.argmax(f1))
    chosen = float(thresholds[i])
    # move to the midpoint below the chosen score: the same rows are positive, but float32
    # rounding of the probability (ONNX) cannot flip a row sitting exactly on the threshold
    lower = p[p < chosen]
    midpoint = (float(lower.max()) + chosen) / 2.0 if lower.size else chosen / 2.0
    return midpoint, float(f1[i])


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return float(f1_score(y, np.asarray(p) >= threshold, zero_division=0))


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """val_f1 (at the F1-best threshold), val_auc, val_logloss, threshold."""
    threshold, f1 = best_threshold(y, p)
    clipped = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return {
        "val_f1": f1,
        "val_auc": float(roc_auc_score(y, p)),
        "val_logloss": float(log_loss(y, clipped, labels=[0, 1])),
        "threshold": threshold,
    }
