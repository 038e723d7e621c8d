"""Seeded synthetic data with the raw UCI 50-column schema and a learnable signal (fast tests).

``synthetic_raw`` draws raw rows (including '?' missing markers and death/hospice
dispositions the cleaning drops); ``make_synthetic_splits`` cleans them with the origin
conventions and writes train/validation/test CSVs + features.json (70/15/15, unshuffled).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .columns import AGE_BRACKETS, MEDICATION_COLUMNS, RAW_COLUMNS
from .origin import clean, write_splits

_DIAG_CODES = ["250.83", "250.01", "250", "428", "414", "427", "786", "486", "491", "599",
               "715", "820", "996", "276", "401", "V45", "V58", "E878", "153", "562", "?"]
_MED_VALUES = ["No", "Steady", "Up", "Down"]


def synthetic_raw(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values, p=None):
        return rng.choice(np.asarray(values, dtype=object), size=n_rows, p=p)

    inpatient = rng.poisson(0.6, n_rows)
    emergency = rng.poisson(0.2, n_rows)
    outpatient = rng.poisson(0.4, n_rows)
    time_in_hospital = rng.integers(1, 15, n_rows)
    age_idx = rng.choice(10, size=n_rows, p=[.01, .01, .02, .04, .09, .17, .22, .25, .16, .03])
    disposition = pick([1, 1, 1, 1, 3, 6, 2, 22, 11, 13])  # 11, 13: dropped by cleaning
    a1c = pick(["None", "None", "None", ">8", "Norm", ">7"])
    diag1 = pick(_DIAG_CODES)
    meds = {m: pick(_MED_VALUES, p=[.7, .2, .05, .05]) if i % 4 == 0 else pick(["No", "Steady"], p=[.9, .1])
            for i, m in enumerate(MEDICATION_COLUMNS)}
    circulatory = np.isin(diag1, ["428", "414", "427"])
    logit = (-1.6 + 1.2 * inpatient + 0.8 * emergency + 0.1 * (time_in_hospital - 4)
             + 1.0 * (a1c == ">8") + 1.0 * circulatory + 0.8 * (disposition == 3)
             + 0.25 * (age_idx - 6) + 1.0 * np.isin(meds["insulin"], ["Up", "Down"]))
    y = rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))
    readmitted = np.where(y, np.where(rng.random(n_rows) < 0.25, "<30", ">30"), "NO")

    data = {
        "encounter_id": np.arange(1, n_rows + 1) * 7,
        "patient_nbr": rng.integers(1, 10**8, n_rows),
        "race": pick(["Caucasian", "AfricanAmerican", "Hispanic", "Other", "Asian", "?"]),
        "gender": pick(["Female", "Male"]),
        "age": np.asarray(AGE_BRACKETS, dtype=object)[age_idx],
        "weight": pick(["?", "?", "?", "[75-100)"]),
        "admission_type_id": pick([1, 1, 2, 3, 5, 6]),
        "discharge_disposition_id": disposition,
        "admission_source_id": pick([7, 7, 1, 4, 17]),
        "time_in_hospital": time_in_hospital,
        "payer_code": pick(["?", "MC", "SP"]),
        "medical_specialty": pick(["?", "InternalMedicine", "Cardiology"]),
        "num_lab_procedures": rng.integers(1, 100, n_rows),
        "num_procedures": rng.integers(0, 7, n_rows),
        "num_medications": rng.integers(1, 60, n_rows),
        "number_outpatient": outpatient,
        "number_emergency": emergency,
        "number_inpatient": inpatient,
        "diag_1": diag1,
        "diag_2": pick(_DIAG_CODES),
        "diag_3": pick(_DIAG_CODES),
        "number_diagnoses": rng.integers(1, 17, n_rows),
        "max_glu_serum": pick(["None", "None", "None", "Norm", ">200", ">300"]),
        "A1Cresult": a1c,
        **meds,
        "change": pick(["No", "Ch"]),
        "diabetesMed": pick(["Yes", "No"]),
        "readmitted": readmitted,
    }
    frame = pd.DataFrame(data)[RAW_COLUMNS]
    return frame.astype(str)


def make_synthetic_splits(out_dir: str | Path, n_rows: int = 2000, seed: int = 0) -> dict[str, Path]:
    """Cleaned synthetic train/validation/test CSVs + features.json (70/15/15 of the raw rows)."""
    raw = synthetic_raw(n_rows, seed)
    a, b = int(n_rows * 0.70), int(n_rows * 0.85)
    splits = {"train": clean(raw.iloc[:a]), "validation": clean(raw.iloc[a:b]), "test": clean(raw.iloc[b:])}
    return write_splits(splits, out_dir)
