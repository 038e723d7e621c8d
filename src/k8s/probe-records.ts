/** Plausible /predict requests for the post-deployment health check (the origin API's format; fixed, deterministic). */
const MEDICATIONS = [
  'metformin', 'repaglinide', 'nateglinide', 'chlorpropamide', 'glimepiride', 'acetohexamide', 'glipizide', 'glyburide',
  'tolbutamide', 'pioglitazone', 'rosiglitazone', 'acarbose', 'miglitol', 'troglitazone', 'tolazamide', 'examide',
  'citoglipton', 'glyburide-metformin', 'glipizide-metformin', 'glimepiride-pioglitazone', 'metformin-rosiglitazone',
  'metformin-pioglitazone',
];
const AGES = ['[0-10)', '[10-20)', '[20-30)', '[30-40)', '[40-50)', '[50-60)', '[60-70)', '[70-80)', '[80-90)', '[90-100)'];
const DIAGS = ['428', '414', '786', '410', '486', '427', '491', '715', '682', '434', '780', '996', 'V57', '250.8', '599'];
const DOSES = ['No', 'Steady', 'Up', 'Down'];

export type ProbeRecord = Record<string, string | number>;

export function probeRecords(count = 16): ProbeRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    race: ['Caucasian', 'AfricanAmerican', 'Hispanic', 'Asian', 'Other'][i % 5]!,
    gender: i % 2 ? 'Male' : 'Female',
    age: AGES[(i * 7) % AGES.length]!,
    admission_type_id: 1 + (i % 8),
    discharge_disposition_id: 1 + ((i * 3) % 10),
    admission_source_id: 7,
    time_in_hospital: 1 + (i % 14),
    num_lab_procedures: 1 + ((i * 13) % 120),
    num_procedures: i % 6,
    num_medications: 1 + ((i * 11) % 70),
    number_outpatient: 0,
    number_emergency: (i * 3) % 4,
    number_inpatient: i % 5,
    diag_1: DIAGS[i % DIAGS.length]!,
    diag_2: DIAGS[(i * 5) % DIAGS.length]!,
    diag_3: DIAGS[(i * 7) % DIAGS.length]!,
    number_diagnoses: 1 + (i % 16),
    max_glu_serum: 'None',
    A1Cresult: ['None', 'Norm', '>7', '>8'][i % 4]!,
    ...Object.fromEntries(MEDICATIONS.map((m) => [m, 'No'])),
    metformin: DOSES[i % 4]!,
    insulin: DOSES[(i * 3) % 4]!,
    change: i % 3 ? 'Ch' : 'No',
    diabetesMed: i % 4 ? 'Yes' : 'No',
  }));
}
