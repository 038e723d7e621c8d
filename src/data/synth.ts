/**
 * A seeded synthetic stand-in for the UCI "Diabetes 130-US hospitals" file: the same 50
 * columns in file order, CRLF line ends like the original, value domains and rough marginal
 * frequencies taken from the real file, and a learnable readmission signal.
 *
 * The target follows a logistic model with noise:
 *   logit = b0 + 0.55·min(number_inpatient, 6) + 0.30·min(number_emergency, 5)
 *             + 0.12·min(number_outpatient, 5) + 0.04·time_in_hospital + 0.06·age_ordinal
 *             + 0.03·number_diagnoses + 0.35·[insulin = Up] + 0.25·[diabetesMed = Yes]
 *             + effect(diag_1 group) + N(0, 0.5²)
 * with b0 tuned so that ~45 % of rows are readmitted; a readmission is '<30' a quarter of the
 * time, else '>30'. Death discharges (11, 19, 20, 21) are never readmitted, hospice (13, 14)
 * half as often. Deterministic: the same {rows, seed} gives byte-identical text (seededRandom: xoshiro128**).
 *
 * Drift (`drift: { fromRow, features }`, for the drift monitoring tests and demos): from raw row
 * position `fromRow` on, the chosen model inputs move far from the generator's distribution —
 * a count shifts up by 3 standard deviations of its generator distribution (at least 1; `age`
 * by as many brackets, capped at [90-100)), a categorical column or a code column
 * (admission_type_id, …) takes one minority category in 80 % of rows (DRIFT_TARGETS). Either
 * puts the PSI of the shifted feature far above 0.30 (see the synth test). The rows are
 * generated exactly as without drift and changed afterwards, with their own seeded stream, so
 * every row before `fromRow` and every column not chosen stays byte-identical.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { formatCsv } from './csv.ts';
import { createObjectStore, type ObjectStore, sha256 } from './object-store.ts';
import { gaussian, picker, poisson, type Random, randomInt, seededRandom } from '../runtime/random.ts';
import { A1C_RESULT_VALUES, AGE_BRACKETS, MAX_GLU_SERUM_VALUES, MEDICATION_COLUMNS, RAW_COLUMNS, type RawColumn } from './schema.ts';

export interface SynthOptions {
  readonly rows: number;
  readonly seed: number;
  /** Shift `features` (raw column names, DRIFTABLE_FEATURES) from raw row position `fromRow` (0-based) on. */
  readonly drift?: SynthDrift;
}

export interface SynthDrift {
  readonly fromRow: number;
  readonly features: readonly string[];
}

type Table<T> = readonly (readonly [T, number])[];
const pickers = new Map<Table<unknown>, (random: Random) => unknown>();
/** Weighted pick from a [value, weight] table (the picker is built once per table). */
const pick = <T>(random: Random, table: Table<T>): T => {
  let choose = pickers.get(table);
  if (!choose) {
    choose = picker(
      table.map(([value]) => value),
      table.map(([, weight]) => weight),
    );
    pickers.set(table, choose);
  }
  return choose(random) as T;
};
const indexTable = (weights: readonly number[], offset = 0): Table<number> => weights.map((w, i) => [i + offset, w] as const);

const RACE: Table<string> = [['Caucasian', 74.8], ['AfricanAmerican', 18.9], ['?', 2.2], ['Hispanic', 2.0], ['Other', 1.5], ['Asian', 0.6]];
const GENDER: Table<string> = [['Female', 53.76], ['Male', 46.24], ['Unknown/Invalid', 0.003]];
const AGE = indexTable([0.16, 0.68, 1.63, 3.71, 9.52, 16.96, 22.1, 25.62, 16.9, 2.74]);
const WEIGHT: Table<string> = [
  ['?', 96.9], ['[75-100)', 1.3], ['[50-75)', 0.9], ['[100-125)', 0.6], ['[125-150)', 0.14], ['[25-50)', 0.1], ['[0-25)', 0.05], ['[150-175)', 0.03], ['[175-200)', 0.01], ['>200', 0.003],
];
const ADMISSION_TYPE: Table<number> = [[1, 53], [3, 18.5], [2, 18.2], [6, 5.2], [5, 4.7], [8, 0.3], [7, 0.02], [4, 0.01]];
const DISCHARGE: Table<number> = [
  [1, 59.2], [3, 13.7], [6, 12.7], [18, 3.6], [2, 2.1], [22, 2.0], [11, 1.6], [5, 1.2], [25, 1.0], [4, 0.8], [7, 0.6], [23, 0.4],
  [13, 0.4], [14, 0.4], [28, 0.14], [8, 0.1], [15, 0.06], [24, 0.05], [9, 0.02], [17, 0.01], [16, 0.01], [19, 0.01], [10, 0.01],
  [27, 0.005], [12, 0.003], [20, 0.002],
];
const ADMISSION_SOURCE: Table<number> = [
  [7, 56.5], [1, 29], [17, 6.7], [4, 3.1], [6, 2.2], [2, 1.1], [5, 0.8], [3, 0.2], [20, 0.16], [9, 0.12], [8, 0.02], [22, 0.01], [10, 0.01], [14, 0.002], [11, 0.002], [25, 0.002], [13, 0.001],
];
const TIME_IN_HOSPITAL = indexTable([14.0, 16.9, 17.4, 13.7, 9.8, 7.4, 5.8, 4.3, 3.0, 2.3, 1.8, 1.4, 1.2, 1.0], 1);
const PAYER: Table<string> = [
  ['?', 39.6], ['MC', 31.9], ['HM', 6.2], ['SP', 4.9], ['BC', 4.6], ['MD', 3.5], ['CP', 2.5], ['UN', 2.4], ['CM', 1.9], ['OG', 1.0], ['PO', 0.6], ['DM', 0.5],
  ['CH', 0.14], ['WC', 0.13], ['OT', 0.09], ['MP', 0.08], ['SI', 0.05],
];
const SPECIALTY: Table<string> = [
  ['?', 49], ['InternalMedicine', 14.4], ['Emergency/Trauma', 7.4], ['Family/GeneralPractice', 7.3], ['Cardiology', 5.3], ['Surgery-General', 3.0],
  ['Nephrology', 1.6], ['Orthopedics', 1.4], ['Orthopedics-Reconstructive', 1.2], ['Radiologist', 1.1], ['Pulmonology', 0.9], ['Psychiatry', 0.8],
  ['Urology', 0.7], ['ObstetricsandGynecology', 0.7], ['Surgery-Cardiovascular/Thoracic', 0.6], ['Gastroenterology', 0.6], ['Surgery-Vascular', 0.5],
  ['Surgery-Neuro', 0.5], ['PhysicalMedicineandRehabilitation', 0.4], ['Oncology', 0.3], ['Pediatrics', 0.25], ['Hematology/Oncology', 0.2],
  ['Neurology', 0.2], ['Pediatrics-Endocrinology', 0.16],
];
const PROCEDURES = indexTable([45.8, 20.4, 12.5, 9.3, 4.1, 3.0, 4.9]);
const INPATIENT = indexTable([66.5, 19.2, 7.4, 3.3, 1.6, 0.8, 0.5, 0.3, 0.15, 0.1, 0.15]);
const DIAGNOSES = indexTable([0.2, 1, 2.8, 5.4, 11.1, 10, 10, 10.4, 48.7, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.04], 1);
const MAX_GLU: Table<string> = MAX_GLU_SERUM_VALUES.map((v, i) => [v, [94.7, 2.55, 1.46, 1.24][i]!] as const);
const A1C: Table<string> = A1C_RESULT_VALUES.map((v, i) => [v, [83.3, 4.9, 3.75, 8.07][i]!] as const);

/** Share of encounters on each medication (the rest are 'No'). */
const MEDICATION_USE: Record<(typeof MEDICATION_COLUMNS)[number], number> = {
  metformin: 0.196, repaglinide: 0.015, nateglinide: 0.007, chlorpropamide: 0.001, glimepiride: 0.051, acetohexamide: 0.00001,
  glipizide: 0.125, glyburide: 0.105, tolbutamide: 0.0002, pioglitazone: 0.072, rosiglitazone: 0.063, acarbose: 0.003,
  miglitol: 0.0004, troglitazone: 0.00003, tolazamide: 0.0004, examide: 0, citoglipton: 0, insulin: 0.534,
  'glyburide-metformin': 0.007, 'glipizide-metformin': 0.0001, 'glimepiride-pioglitazone': 0.00001,
  'metformin-rosiglitazone': 0.00002, 'metformin-pioglitazone': 0.00001,
};
const DOSE: Table<string> = [['Steady', 80], ['Up', 10], ['Down', 10]];
const INSULIN_DOSE: Table<string> = [['Steady', 57], ['Down', 22.5], ['Up', 20.5]];

/** ICD-9 groups (Strack et al. 2014) with their share of diagnoses and their effect on the logit (primary diagnosis only). */
interface DiagGroup {
  readonly weight: number;
  readonly effect: number;
  code(random: Random): string;
}
const between = (from: number, to: number) => (random: Random) => {
  const base = String(randomInt(random, from, to));
  return random() < 0.15 ? `${base}.${randomInt(random, 0, 9)}` : base;
};
const DIABETES_SUFFIXES = ['', '.01', '.02', '.03', '.1', '.11', '.12', '.13', '.4', '.41', '.42', '.5', '.6', '.7', '.8', '.82', '.83', '.9', '.92'];
const common = <T>(values: readonly T[], weights: readonly number[]) => picker(values, weights);
const CIRCULATORY = common(['428', '414', '410', '427', '434', '435', '402', '403'], [6.9, 6.6, 3.6, 2.8, 2, 1, 1, 0.8]);
const RESPIRATORY = common(['786', '486', '491', '493', '518'], [4, 3.5, 2.3, 1.1, 1.1]);
const DIGESTIVE = common(['577', '562', '574', '560', '787'], [1, 1, 1, 0.9, 0.5]);
const INJURY = common(['996', '820', '998'], [2, 1.1, 0.8]);
const GENITOURINARY = common(['599', '584', '788'], [1.6, 1.5, 0.5]);
const OTHER = common(['276', '780', '682', '38', '296', '8'], [1.9, 2, 2, 1.7, 0.9, 0.3]);
const V_CODES = common(['57', '45', '58', '54', '43', '42', '27', '15', '12', '66'], [5, 2, 2, 1, 1, 1, 0.5, 1, 0.5, 0.5]);
const E_CODES = common(['878', '885', '888', '849', '932', '942', '879', '880', '884', '817'], [3, 2, 2, 1, 1, 1, 1, 0.5, 0.5, 0.3]);
const DIAG_GROUPS: readonly DiagGroup[] = [
  { weight: 30, effect: 0.1, code: (r) => (r() < 0.5 ? CIRCULATORY(r) : between(390, 459)(r)) },
  { weight: 14, effect: 0.05, code: (r) => (r() < 0.4 ? RESPIRATORY(r) : between(460, 519)(r)) },
  { weight: 9, effect: 0.0, code: (r) => (r() < 0.3 ? DIGESTIVE(r) : between(520, 579)(r)) },
  { weight: 8, effect: 0.15, code: (r) => `250${DIABETES_SUFFIXES[randomInt(r, 0, DIABETES_SUFFIXES.length - 1)]}` },
  { weight: 7, effect: -0.15, code: (r) => (r() < 0.3 ? INJURY(r) : between(800, 999)(r)) },
  { weight: 5, effect: -0.25, code: (r) => (r() < 0.5 ? '715' : between(710, 739)(r)) },
  { weight: 5, effect: 0.05, code: (r) => (r() < 0.4 ? GENITOURINARY(r) : between(580, 629)(r)) },
  { weight: 3.5, effect: 0.1, code: (r) => between(140, 239)(r) },
  { weight: 15, effect: 0.0, code: (r) => (r() < 0.4 ? OTHER(r) : between(240, 389)(r)) },
  { weight: 2.5, effect: -0.1, code: (r) => `V${V_CODES(r)}${r() < 0.3 ? `.${randomInt(r, 0, 9)}` : ''}` },
  { weight: 1, effect: -0.05, code: (r) => `E${E_CODES(r)}` },
];
const diag = picker(
  DIAG_GROUPS,
  DIAG_GROUPS.map((g) => g.weight),
);

/** The generator's continuous and Poisson counts: mean and standard deviation (Poisson: sd = √mean). */
const LAB_PROCEDURES = { mean: 43, sd: 19.7 };
const MEDICATIONS = { mean: 16, sd: 8 };
const OUTPATIENT_MEAN = 0.37;
const EMERGENCY_MEAN = 0.2;

const DEATH = new Set([11, 19, 20, 21]);
const HOSPICE = new Set([13, 14]);
/** Tuned so that ~45 % of the synthetic rows are readmitted (see the synth test). */
const INTERCEPT = -1.65;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x));

/** One synthetic encounter, values in RAW_COLUMNS order. */
function encounter(random: Random, encounterId: number): string[] {
  const ageIndex = pick(random, AGE);
  const discharge = pick(random, DISCHARGE);
  const timeInHospital = pick(random, TIME_IN_HOSPITAL);
  const outpatient = Math.min(42, poisson(random, OUTPATIENT_MEAN));
  const emergency = Math.min(76, poisson(random, EMERGENCY_MEAN));
  const inpatient = pick(random, INPATIENT);
  const diagnoses = pick(random, DIAGNOSES);
  const primary = diag(random);
  const diag1 = random() < 0.0002 ? '?' : primary.code(random);
  const diag2 = random() < 0.0035 ? '?' : diag(random).code(random);
  const diag3 = random() < 0.014 ? '?' : diag(random).code(random);

  const medications = MEDICATION_COLUMNS.map((name) =>
    random() < MEDICATION_USE[name] ? pick(random, name === 'insulin' ? INSULIN_DOSE : DOSE) : 'No',
  );
  const change = medications.some((m) => m === 'Up' || m === 'Down') ? 'Ch' : 'No';
  const diabetesMed = medications.some((m) => m !== 'No') ? 'Yes' : 'No';
  const insulin = medications[MEDICATION_COLUMNS.indexOf('insulin')];

  const logit =
    INTERCEPT +
    0.55 * Math.min(inpatient, 6) +
    0.3 * Math.min(emergency, 5) +
    0.12 * Math.min(outpatient, 5) +
    0.04 * timeInHospital +
    0.06 * ageIndex +
    0.03 * diagnoses +
    (insulin === 'Up' ? 0.35 : 0) +
    (diabetesMed === 'Yes' ? 0.25 : 0) +
    primary.effect +
    0.5 * gaussian(random);
  let p = sigmoid(logit);
  if (DEATH.has(discharge)) p = 0;
  else if (HOSPICE.has(discharge)) p /= 2;
  const readmitted = random() < p ? (random() < 0.25 ? '<30' : '>30') : 'NO';

  const values: Record<RawColumn, string | number> = {
    encounter_id: encounterId,
    patient_nbr: randomInt(random, 135, 189_502_619),
    race: pick(random, RACE),
    gender: pick(random, GENDER),
    age: AGE_BRACKETS[ageIndex]!,
    weight: pick(random, WEIGHT),
    admission_type_id: pick(random, ADMISSION_TYPE),
    discharge_disposition_id: discharge,
    admission_source_id: pick(random, ADMISSION_SOURCE),
    time_in_hospital: timeInHospital,
    payer_code: pick(random, PAYER),
    medical_specialty: pick(random, SPECIALTY),
    num_lab_procedures: clamp(Math.round(LAB_PROCEDURES.mean + LAB_PROCEDURES.sd * gaussian(random)), 1, 132),
    num_procedures: pick(random, PROCEDURES),
    num_medications: clamp(Math.round(MEDICATIONS.mean + MEDICATIONS.sd * gaussian(random)), 1, 81),
    number_outpatient: outpatient,
    number_emergency: emergency,
    number_inpatient: inpatient,
    diag_1: diag1,
    diag_2: diag2,
    diag_3: diag3,
    number_diagnoses: diagnoses,
    max_glu_serum: pick(random, MAX_GLU),
    A1Cresult: pick(random, A1C),
    ...(Object.fromEntries(MEDICATION_COLUMNS.map((name, i) => [name, medications[i]!])) as Record<(typeof MEDICATION_COLUMNS)[number], string>),
    change,
    diabetesMed,
    readmitted,
  };
  return RAW_COLUMNS.map((name) => String(values[name]));
}

/** Standard deviation of a weighted [value, weight] table. */
function tableSd(table: Table<number>): number {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  const mean = table.reduce((sum, [v, w]) => sum + v * w, 0) / total;
  return Math.sqrt(table.reduce((sum, [v, w]) => sum + w * (v - mean) ** 2, 0) / total);
}

/** How far a drifted count moves up: 3 standard deviations of its generator distribution, at least 1. */
const shiftOf = (sd: number) => Math.max(1, Math.round(3 * sd));
const DRIFT_SHIFTS = {
  age: shiftOf(tableSd(AGE)),
  time_in_hospital: shiftOf(tableSd(TIME_IN_HOSPITAL)),
  num_lab_procedures: shiftOf(LAB_PROCEDURES.sd),
  num_procedures: shiftOf(tableSd(PROCEDURES)),
  num_medications: shiftOf(MEDICATIONS.sd),
  number_outpatient: shiftOf(Math.sqrt(OUTPATIENT_MEAN)),
  number_emergency: shiftOf(Math.sqrt(EMERGENCY_MEAN)),
  number_inpatient: shiftOf(tableSd(INPATIENT)),
  number_diagnoses: shiftOf(tableSd(DIAGNOSES)),
} as const satisfies Partial<Record<RawColumn, number>>;

/** The category a drifted categorical or code column takes in DRIFT_SHARE of rows: one the generator gives a small share, but enough for a PSI bin of its own (≥ 0.5 %). */
const DRIFT_TARGETS = {
  admission_type_id: '3', discharge_disposition_id: '3', admission_source_id: '1',
  race: 'AfricanAmerican', gender: 'Male', diag_1: '428', diag_2: '428', diag_3: '428',
  max_glu_serum: 'Norm', A1Cresult: '>8',
  ...(Object.fromEntries(MEDICATION_COLUMNS.map((name) => [name, 'Steady'])) as Record<(typeof MEDICATION_COLUMNS)[number], string>),
  change: 'Ch', diabetesMed: 'No',
} as const satisfies Partial<Record<RawColumn, string>>;
const DRIFT_SHARE = 0.8;
/** Seeds drift's own random stream (xor the file's seed). */
const DRIFT_STREAM = 0x5eed_d71f;

/** The raw columns `drift.features` may name: every model input (`age` for age_ordinal). */
export const DRIFTABLE_FEATURES: readonly RawColumn[] = RAW_COLUMNS.filter((name) => name in DRIFT_SHIFTS || name in DRIFT_TARGETS);

/** Why `drift` cannot be applied, or undefined when it can. */
export function driftProblem(drift: SynthDrift): string | undefined {
  if (!Number.isInteger(drift.fromRow) || drift.fromRow < 0) return `drift.fromRow must be a whole number >= 0 (a raw row position), got ${drift.fromRow}`;
  if (!drift.features.length) return `drift.features is empty; name at least one of: ${DRIFTABLE_FEATURES.join(', ')}`;
  const unknown = drift.features.filter((name) => !(DRIFTABLE_FEATURES as readonly string[]).includes(name));
  if (unknown.length) {
    return `drift feature(s) ${unknown.map((name) => `'${name}'`).join(', ')} cannot be shifted; choose among the model inputs (raw column names): ${DRIFTABLE_FEATURES.join(', ')}`;
  }
  return undefined;
}

/** Changes a generated row (RAW_COLUMNS order) in place: each drifted column gets its drifted value. */
function drifter(features: readonly string[], random: Random): (row: string[]) => void {
  const columns = features.map((name) => ({ name, at: RAW_COLUMNS.indexOf(name as RawColumn) }));
  return (row) => {
    for (const { name, at } of columns) row[at] = drifted(name, row[at]!, random);
  };
}

function drifted(name: string, value: string, random: Random): string {
  if (name === 'age') {
    const bracket = AGE_BRACKETS.indexOf(value as (typeof AGE_BRACKETS)[number]) + DRIFT_SHIFTS.age;
    return AGE_BRACKETS[Math.min(AGE_BRACKETS.length - 1, bracket)]!;
  }
  if (name in DRIFT_SHIFTS) return String(Number(value) + DRIFT_SHIFTS[name as keyof typeof DRIFT_SHIFTS]);
  return random() < DRIFT_SHARE ? DRIFT_TARGETS[name as keyof typeof DRIFT_TARGETS] : value;
}

/** CSV text (header + `rows` rows, CRLF) with the raw UCI schema. */
export function synthesize({ rows, seed, drift }: SynthOptions): string {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`synthesize: rows must be a whole number >= 0, got ${rows}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`synthesize: seed must be an integer in [0, 2^32), got ${seed}`);
  const problem = drift && driftProblem(drift);
  if (problem) throw new ConfigurationError(`synthesize: ${problem}.`);
  const random = seededRandom(seed);
  // Drift draws from its own stream, so the rows themselves are those of the undrifted file.
  const shift = drift && drifter(drift.features, seededRandom((seed ^ DRIFT_STREAM) >>> 0));
  let encounterId = 2_000_000 + randomInt(random, 0, 300_000);
  const out: string[][] = [];
  for (let i = 0; i < rows; i++) {
    encounterId += randomInt(random, 1, 2_000);
    const row = encounter(random, encounterId);
    if (shift && i >= drift.fromRow) shift(row);
    out.push(row);
  }
  return formatCsv(RAW_COLUMNS, out, '\r\n');
}


export interface WrittenSynthetic {
  readonly uri: string;
  readonly rows: number;
  readonly seed: number;
  readonly drift?: SynthDrift;
  readonly bytes: number;
  readonly sha256: string;
  readonly etag?: string;
}

/** Synthesizes and uploads to `uri` (s3:// or file://). */
export async function writeSynthetic(uri: string, options: SynthOptions, store: ObjectStore = createObjectStore()): Promise<WrittenSynthetic> {
  const body = Buffer.from(synthesize(options));
  const { etag } = await store.put(uri, body, 'text/csv');
  return { uri, rows: options.rows, seed: options.seed, ...(options.drift ? { drift: options.drift } : {}), bytes: body.length, sha256: sha256(body), ...(etag ? { etag } : {}) };
}
