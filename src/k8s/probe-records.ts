/** Plausible /predict requests for the post-deployment health check (the origin API's format; fixed, deterministic). */
import type { RequestRecord } from '../api-checks/records.ts';
import { AGE_BRACKETS, MEDICATION_COLUMNS } from '../data/schema.ts';

const DIAGS = ['428', '414', '786', '410', '486', '427', '491', '715', '682', '434', '780', '996', 'V57', '250.8', '599'];
const DOSES = ['No', 'Steady', 'Up', 'Down'];

export function probeRecords(count = 16): RequestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    race: ['Caucasian', 'AfricanAmerican', 'Hispanic', 'Asian', 'Other'][i % 5]!,
    gender: i % 2 ? 'Male' : 'Female',
    age: AGE_BRACKETS[(i * 7) % AGE_BRACKETS.length]!,
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
    ...Object.fromEntries(MEDICATION_COLUMNS.map((m) => [m, 'No'])),
    metformin: DOSES[i % 4]!,
    insulin: DOSES[(i * 3) % 4]!,
    change: i % 3 ? 'Ch' : 'No',
    diabetesMed: i % 4 ? 'Yes' : 'No',
  }));
}
