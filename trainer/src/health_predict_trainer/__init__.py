"""health-predict trainer: Ray Tune HPO of LR / RF / XGBoost, MLflow tracking, ONNX export."""

__version__ = "0.1.0"

MODEL_TYPES = ("lr", "rf", "xgb")
