"""The origin project's way of serving a model, as the peer of bench/origin-peer.ts: FastAPI
+ a pydantic request model, the record turned into a one-row pandas DataFrame and cleaned with
pandas, then an MLflow pyfunc model's predict (a fitted scikit-learn Pipeline saved with
mlflow.sklearn, predict_proba). Written for the comparison, not copied: it keeps the origin's
request path and leaves out its per-request INFO logging (five lines, one a DataFrame
printout) and its access log, both of which would only slow the peer down.

    PYTHONPATH=trainer/src .venv/ml/bin/python bench/origin_peer.py MODEL_DIR PORT origin|same TRAIN_CSV

MODEL_DIR holds metadata.json (feature columns, threshold) and, for `same`, model.pkl: our
trainer's Pipeline, the model our service serves as ONNX. `origin` fits the origin's model on
TRAIN_CSV instead: StandardScaler + OneHotEncoder(handle_unknown='ignore') + XGBoost (200 trees,
depth 4, learning rate 0.1), decisions at 0.5; its preprocessing is much lighter than ours.
"""
import json
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Optional

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, create_model
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from health_predict_trainer.columns import AGE_BRACKETS

AGE_ORDINAL = {bracket: i for i, bracket in enumerate(AGE_BRACKETS)}
# The origin API's Optional request fields (src/api/record-schema.ts OPTIONAL_FIELDS).
OPTIONAL = {"race", "diag_1", "diag_2", "diag_3", "max_glu_serum", "A1Cresult"}

model_dir, port, which, train_csv = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
metadata = json.loads((model_dir / "metadata.json").read_text())
numeric, categorical = metadata["features"]["numeric"], metadata["features"]["categorical"]


def origin_pipeline() -> Pipeline:
    train = pd.read_csv(train_csv, dtype=str, keep_default_na=False)
    X = train[numeric + categorical].astype({c: "float64" for c in numeric})
    y = train[metadata["features"]["target"]].astype(int)
    pre = ColumnTransformer([("numeric", StandardScaler(), numeric),
                             ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical)])
    model = XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, n_jobs=1)
    return Pipeline([("preprocess", pre), ("model", model)]).fit(X, y)


if which == "same":
    pipeline, threshold = pickle.loads((model_dir / "model.pkl").read_bytes()), metadata["threshold"]
else:
    pipeline, threshold = origin_pipeline(), 0.5
with tempfile.TemporaryDirectory() as saved:
    mlflow.sklearn.save_model(pipeline, f"{saved}/model", pyfunc_predict_fn="predict_proba",
                              serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE)
    model = mlflow.pyfunc.load_model(f"{saved}/model")

# The request: the raw columns, underscored names with the hyphenated spelling as alias.
fields = {}
for column in ["age" if c == "age_ordinal" else c for c in numeric + categorical]:
    name = column.replace("-", "_")
    annotation = int if column in numeric else (Optional[str] if column in OPTIONAL else str)
    default = None if column in OPTIONAL else ...
    fields[name] = (str if column == "age" else annotation, default)
Record = create_model("Record", __config__=ConfigDict(populate_by_name=True,
                                                       alias_generator=lambda n: n.replace("_", "-")), **fields)


class Prediction(BaseModel):
    prediction: int
    probability_score: float


app = FastAPI()


@app.get("/health")
async def health():
    return {"status": "healthy", "model_loaded": model is not None}


@app.post("/predict", response_model=Prediction)
async def predict(record: Record):
    frame = pd.DataFrame([record.model_dump(by_alias=False)])
    frame = frame.replace("?", np.nan)
    frame["age_ordinal"] = frame["age"].map(AGE_ORDINAL)
    frame = frame.drop(columns=["age"])
    frame = frame.rename(columns={c.replace("-", "_"): c for c in numeric + categorical})
    frame[categorical] = frame[categorical].fillna("Unknown").replace("", "Unknown")
    frame[numeric] = frame[numeric].astype("float64")
    probability = float(model.predict(frame[numeric + categorical])[0][1])
    return Prediction(prediction=int(probability >= threshold), probability_score=probability)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
