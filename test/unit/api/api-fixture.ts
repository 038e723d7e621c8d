/**
 * A real model directory for the API tests and `npm run bench:api`: the trainer's own
 * pipeline exported to ONNX by test/fixtures/make_parity_fixture.py (ML virtualenv), plus the
 * model-info.json the image build writes, and request records made from the rows it scored.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../../src/data/csv.ts';
import { requestRecord } from '../../../src/api-checks/records.ts';
import { AGE_BRACKETS } from '../../../src/data/schema.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ML_PYTHON = process.env.HP_ML_PYTHON ?? path.join(ROOT, '.venv/ml/bin/python');
const SCRIPT = path.join(ROOT, 'test/fixtures/make_parity_fixture.py');

export const MODEL_INFO = { name: 'health-predict-readmission', version: '7', run_id: '5f0c2b6e9d8a4c1b8e7f6a5d4c3b2a10' } as const;

export type RequestRecord = Record<string, string | number | null>;

export interface ApiFixture {
  readonly dir: string;
  /** model.onnx + metadata.json + model-info.json, as baked into the image. */
  readonly modelDir: string;
  readonly onnxPath: string;
  readonly metadata: { threshold: number; model_type: string } & Record<string, unknown>;
  /** Rows of rows.csv as the data task writes them (cleaned; every value a string), edge rows excluded. */
  readonly featureRows: Record<string, string>[];
  /** The same rows as /predict requests (the origin's fields: `age` bracket, integer counts). */
  readonly records: RequestRecord[];
  cleanup(): void;
}

export function buildApiFixture(options: { modelType?: 'lr' | 'rf' | 'xgb'; rows?: number; seed?: number; pickle?: boolean } = {}): ApiFixture {
  if (!existsSync(ML_PYTHON)) {
    throw new Error(`the ML Python environment is missing (${ML_PYTHON}); run \`make setup\` or set HP_ML_PYTHON`);
  }
  const modelType = options.modelType ?? 'xgb';
  const dir = mkdtempSync(path.join(tmpdir(), 'hp-api-fixture-'));
  // This machine sets PYTHONDONTWRITEBYTECODE; keep bytecode in a cache outside the venv.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: path.join(ROOT, 'trainer/src'), PYTHONPYCACHEPREFIX: path.join(tmpdir(), 'hp-pycache') };
  delete env.PYTHONDONTWRITEBYTECODE;
  const args = [SCRIPT, dir, '--rows', String(options.rows ?? 800), '--seed', String(options.seed ?? 5), '--model-types', modelType, ...(options.pickle ? ['--pickle'] : [])];
  const run = spawnSync(ML_PYTHON, args, { encoding: 'utf8', timeout: 170_000, env, cwd: ROOT });
  if (run.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`make_parity_fixture.py failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ''}):\n${run.stderr}`);
  }
  const modelDir = path.join(dir, modelType);
  writeFileSync(path.join(modelDir, 'model-info.json'), JSON.stringify(MODEL_INFO));
  const [header, ...lines] = parseCsv(readFileSync(path.join(dir, 'rows.csv'), 'utf8'));
  const edge = new Set((JSON.parse(readFileSync(path.join(dir, 'rows.json'), 'utf8')) as { edge_rows: number[] }).edge_rows);
  const featureRows = lines
    .filter((_, i) => !edge.has(i))
    .map((line) => Object.fromEntries(header!.fields.map((name, i) => [name, line.fields[i] ?? ''])));
  return {
    dir,
    modelDir,
    onnxPath: path.join(modelDir, 'model.onnx'),
    metadata: JSON.parse(readFileSync(path.join(modelDir, 'metadata.json'), 'utf8')) as ApiFixture['metadata'],
    featureRows,
    records: featureRows.map(toRequestRecord),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A cleaned row → the request a client would send for it. */
export const toRequestRecord = (row: Record<string, string>): RequestRecord => requestRecord(row);

/** A typical record in the origin API's request format, in the dataset's (hyphenated) spelling. */
export function originExampleRecord(): RequestRecord {
  const medications = [
    'metformin', 'repaglinide', 'nateglinide', 'chlorpropamide', 'glimepiride', 'acetohexamide', 'glipizide', 'glyburide',
    'tolbutamide', 'pioglitazone', 'rosiglitazone', 'acarbose', 'miglitol', 'troglitazone', 'tolazamide', 'examide',
    'citoglipton', 'glyburide-metformin', 'glipizide-metformin', 'glimepiride-pioglitazone', 'metformin-rosiglitazone',
    'metformin-pioglitazone',
  ];
  return {
    race: 'Caucasian', gender: 'Female', age: '[70-80)', admission_type_id: 1, discharge_disposition_id: 1,
    admission_source_id: 7, time_in_hospital: 5, num_lab_procedures: 45, num_procedures: 1, num_medications: 15,
    number_outpatient: 0, number_emergency: 0, number_inpatient: 1, diag_1: '428', diag_2: '250.01', diag_3: '401',
    number_diagnoses: 9, max_glu_serum: 'None', A1Cresult: '>8',
    ...Object.fromEntries(medications.map((m) => [m, 'No'])),
    insulin: 'Steady', change: 'Ch', diabetesMed: 'Yes',
  };
}

/** The same record with every hyphenated field spelled with underscores (the origin's field names). */
export function underscored(record: RequestRecord): RequestRecord {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.replaceAll('-', '_'), value]));
}

/** The same record with every underscore replaced by a hyphen (the origin's aliases: `time-in-hospital`, `diag-1`). */
export function hyphenated(record: RequestRecord): RequestRecord {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.replaceAll('_', '-'), value]));
}

/** `count` different plausible records (a fixed sequence), for load tests against any served model. */
export function variedRecords(count: number): RequestRecord[] {
  const races = ['Caucasian', 'AfricanAmerican', 'Hispanic', 'Asian', 'Other', null];
  const diags = ['428', '414', '786', '410', '486', '427', '491', '715', '682', '434', '780', '996', 'V57', '250.8', '599'];
  const doses = ['No', 'Steady', 'Up', 'Down'];
  return Array.from({ length: count }, (_, i) => ({
    ...originExampleRecord(),
    race: races[i % races.length]!,
    gender: i % 2 ? 'Male' : 'Female',
    age: AGE_BRACKETS[(i * 7) % AGE_BRACKETS.length]!,
    admission_type_id: 1 + (i % 8),
    discharge_disposition_id: 1 + ((i * 3) % 25),
    time_in_hospital: 1 + (i % 14),
    num_lab_procedures: 1 + ((i * 13) % 120),
    num_medications: 1 + ((i * 11) % 70),
    number_inpatient: i % 5,
    number_emergency: (i * 3) % 4,
    diag_1: diags[i % diags.length]!,
    diag_2: diags[(i * 5) % diags.length]!,
    diag_3: diags[(i * 7) % diags.length]!,
    number_diagnoses: 1 + (i % 16),
    A1Cresult: ['None', 'Norm', '>7', '>8'][i % 4]!,
    metformin: doses[i % 4]!,
    insulin: doses[(i * 3) % 4]!,
    change: i % 3 ? 'Ch' : 'No',
    diabetesMed: i % 4 ? 'Yes' : 'No',
  }));
}
