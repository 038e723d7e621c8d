"""Column names of the UCI "Diabetes 130-US hospitals" file and the origin's feature roles.

Only the test/benchmark helpers (``origin``, ``synthetic``) use these lists: the trainer
itself takes the column roles from ``features.json`` (see ``data.load_feature_spec``).
Mirrors ``src/data/schema.ts``.
"""

RAW_COLUMNS = [
    "encounter_id", "patient_nbr", "race", "gender", "age", "weight", "admission_type_id",
    "discharge_disposition_id", "admission_source_id", "time_in_hospital", "payer_code",
    "medical_specialty", "num_lab_procedures", "num_procedures", "num_medications",
    "number_outpatient", "number_emergency", "number_inpatient", "diag_1", "diag_2", "diag_3",
    "number_diagnoses", "max_glu_serum", "A1Cresult", "metformin", "repaglinide", "nateglinide",
    "chlorpropamide", "glimepiride", "acetohexamide", "glipizide", "glyburide", "tolbutamide",
    "pioglitazone", "rosiglitazone", "acarbose", "miglitol", "troglitazone", "tolazamide",
    "examide", "citoglipton", "insulin", "glyburide-metformin", "glipizide-metformin",
    "glimepiride-pioglitazone", "metformin-rosiglitazone", "metformin-pioglitazone", "change",
    "diabetesMed", "readmitted",
]

DROPPED_COLUMNS = ["weight", "payer_code", "medical_specialty", "encounter_id", "patient_nbr"]

MEDICATION_COLUMNS = [
    "metformin", "repaglinide", "nateglinide", "chlorpropamide", "glimepiride", "acetohexamide",
    "glipizide", "glyburide", "tolbutamide", "pioglitazone", "rosiglitazone", "acarbose", "miglitol",
    "troglitazone", "tolazamide", "examide", "citoglipton", "insulin", "glyburide-metformin",
    "glipizide-metformin", "glimepiride-pioglitazone", "metformin-rosiglitazone", "metformin-pioglitazone",
]

EXCLUDED_DISCHARGE_DISPOSITIONS = [11, 13, 14, 19, 20, 21]

AGE_BRACKETS = [
    "[0-10)", "[10-20)", "[20-30)", "[30-40)", "[40-50)",
    "[50-60)", "[60-70)", "[70-80)", "[80-90)", "[90-100)",
]

NUMERIC_FEATURES = [
    "admission_type_id", "discharge_disposition_id", "admission_source_id", "time_in_hospital",
    "num_lab_procedures", "num_procedures", "num_medications", "number_outpatient", "number_emergency",
    "number_inpatient", "number_diagnoses", "age_ordinal",
]
CATEGORICAL_FEATURES = [
    "race", "gender", "diag_1", "diag_2", "diag_3", "max_glu_serum", "A1Cresult",
    *MEDICATION_COLUMNS, "change", "diabetesMed",
]
TARGET = "readmitted_binary"

FEATURE_SPEC = {"numeric": NUMERIC_FEATURES, "categorical": CATEGORICAL_FEATURES, "target": TARGET}
