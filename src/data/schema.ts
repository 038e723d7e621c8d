/**
 * The UCI "Diabetes 130-US hospitals" schema and the model's feature roles: the one source
 * of truth. The trainer reads the roles from the `features.json` written next to the splits.
 */

/** The 50 raw columns, in file order. */
export const RAW_COLUMNS = [
  'encounter_id', 'patient_nbr', 'race', 'gender', 'age', 'weight', 'admission_type_id',
  'discharge_disposition_id', 'admission_source_id', 'time_in_hospital', 'payer_code',
  'medical_specialty', 'num_lab_procedures', 'num_procedures', 'num_medications',
  'number_outpatient', 'number_emergency', 'number_inpatient', 'diag_1', 'diag_2', 'diag_3',
  'number_diagnoses', 'max_glu_serum', 'A1Cresult', 'metformin', 'repaglinide', 'nateglinide',
  'chlorpropamide', 'glimepiride', 'acetohexamide', 'glipizide', 'glyburide', 'tolbutamide',
  'pioglitazone', 'rosiglitazone', 'acarbose', 'miglitol', 'troglitazone', 'tolazamide',
  'examide', 'citoglipton', 'insulin', 'glyburide-metformin', 'glipizide-metformin',
  'glimepiride-pioglitazone', 'metformin-rosiglitazone', 'metformin-pioglitazone', 'change',
  'diabetesMed', 'readmitted',
] as const;
export type RawColumn = (typeof RAW_COLUMNS)[number];

/** Columns the origin project drops before modelling. */
export const DROPPED_COLUMNS = ['weight', 'payer_code', 'medical_specialty', 'encounter_id', 'patient_nbr'] as const;

/** Raw columns that must parse as integers. */
export const INTEGER_COLUMNS = [
  'encounter_id', 'patient_nbr', 'admission_type_id', 'discharge_disposition_id', 'admission_source_id',
  'time_in_hospital', 'num_lab_procedures', 'num_procedures', 'num_medications', 'number_outpatient',
  'number_emergency', 'number_inpatient', 'number_diagnoses',
] as const;

export const MEDICATION_COLUMNS = [
  'metformin', 'repaglinide', 'nateglinide', 'chlorpropamide', 'glimepiride', 'acetohexamide',
  'glipizide', 'glyburide', 'tolbutamide', 'pioglitazone', 'rosiglitazone', 'acarbose', 'miglitol',
  'troglitazone', 'tolazamide', 'examide', 'citoglipton', 'insulin', 'glyburide-metformin',
  'glipizide-metformin', 'glimepiride-pioglitazone', 'metformin-rosiglitazone', 'metformin-pioglitazone',
] as const;

/** discharge_disposition_id values meaning death or hospice: rows dropped (no readmission possible). */
export const EXCLUDED_DISCHARGE_DISPOSITIONS = [11, 13, 14, 19, 20, 21] as const;

/** Age brackets `[0-10)` … `[90-100)`; the index is `age_ordinal`. */
export const AGE_BRACKETS = ['[0-10)', '[10-20)', '[20-30)', '[30-40)', '[40-50)', '[50-60)', '[60-70)', '[70-80)', '[80-90)', '[90-100)'] as const;

export const READMITTED_VALUES = ['NO', '>30', '<30'] as const;

/** Model inputs after cleaning: 12 numeric, 32 categorical (origin conventions). */
export const NUMERIC_FEATURES = [
  'admission_type_id', 'discharge_disposition_id', 'admission_source_id', 'time_in_hospital',
  'num_lab_procedures', 'num_procedures', 'num_medications', 'number_outpatient', 'number_emergency',
  'number_inpatient', 'number_diagnoses', 'age_ordinal',
] as const;
export const CATEGORICAL_FEATURES = [
  'race', 'gender', 'diag_1', 'diag_2', 'diag_3', 'max_glu_serum', 'A1Cresult', ...MEDICATION_COLUMNS, 'change', 'diabetesMed',
] as const;
export const TARGET = 'readmitted_binary' as const;

/** Column order of the cleaned split files: features, then the target. */
export const CLEAN_COLUMNS = [...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES, TARGET] as const;

/** What `features.json` holds (the trainer's and the evaluator's view of the columns). */
export interface FeatureSpec {
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
  readonly target: string;
}
export const FEATURE_SPEC: FeatureSpec = { numeric: NUMERIC_FEATURES, categorical: CATEGORICAL_FEATURES, target: TARGET };

/** How the raw file marks a missing value. */
export const MISSING_MARKER = '?';
/** What a missing categorical value becomes after cleaning. */
export const UNKNOWN_CATEGORY = 'Unknown';

/** Value domains of the raw categorical columns (as found in the UCI file). */
export const MEDICATION_VALUES = ['No', 'Steady', 'Up', 'Down'] as const;
/** 'None' means "not measured" — a category, not a missing value. */
export const MAX_GLU_SERUM_VALUES = ['None', 'Norm', '>200', '>300'] as const;
export const A1C_RESULT_VALUES = ['None', 'Norm', '>7', '>8'] as const;
