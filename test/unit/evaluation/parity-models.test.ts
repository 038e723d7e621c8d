/**
 * Parity, per model type: the ONNX model the trainer exports, scored by onnxruntime-node through
 * `createScorer` (what evaluation and serving use), against scikit-learn's predict_proba of the
 * same fitted pipeline. The pipelines are built by the trainer's own code
 * (test/fixtures/make_parity_fixture.py: preprocessing, epoch trainers, threshold, ONNX export,
 * metadata) on synthetic data, into a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/data/csv.ts';
import { createScorer, readModelMetadata, type ModelMetadata, type Scorer } from '../../../src/evaluation/onnx-scorer.ts';
import { ML_PYTHON } from './onnx-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = path.join(ROOT, 'test/fixtures/make_parity_fixture.py');
const MODEL_TYPES = ['lr', 'rf', 'xgb'] as const;
/** The acceptance bound, and the trainer's own (onnx_export.PARITY_TOLERANCE). */
const TOLERANCE = 1e-4;

interface Expected {
  /** scikit-learn predict_proba[:, 1] per row of rows.csv (float64). */
  proba: number[];
  /** Python onnxruntime on the same rows. */
  onnx_proba: number[];
  validation_parity: number;
}
interface RowsInfo {
  unseen_rows: number[];
  missing_rows: number[];
  edge_rows: number[];
}

let dir: string;
let rows: Record<string, string>[];
let info: RowsInfo;

beforeAll(() => {
  if (!existsSync(ML_PYTHON)) {
    throw new Error(`the ML Python environment is missing (${ML_PYTHON}); run \`make setup\` or set HP_ML_PYTHON`);
  }
  dir = mkdtempSync(path.join(tmpdir(), 'hp-parity-'));
  // PYTHONDONTWRITEBYTECODE is set on this machine: keep bytecode in a cache outside the venv.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: path.join(ROOT, 'trainer/src'), PYTHONPYCACHEPREFIX: path.join(tmpdir(), 'hp-pycache') };
  delete env.PYTHONDONTWRITEBYTECODE;
  const run = spawnSync(ML_PYTHON, [SCRIPT, dir, '--rows', '1500', '--seed', '3'], { encoding: 'utf8', timeout: 170_000, env, cwd: ROOT });
  if (run.status !== 0) {
    throw new Error(`make_parity_fixture.py failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ''}):\n${run.stderr}`);
  }
  // Read the rows the way evaluate-model-performance reads the test split: every value a string.
  const [header, ...records] = parseCsv(readFileSync(path.join(dir, 'rows.csv'), 'utf8'));
  rows = records.map((record) => Object.fromEntries(header!.fields.map((name, i) => [name, record.fields[i] ?? ''])));
  info = JSON.parse(readFileSync(path.join(dir, 'rows.json'), 'utf8')) as RowsInfo;
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>, at: readonly number[]) =>
  at.reduce((worst, i) => Math.max(worst, Math.abs(a[i]! - b[i]!)), 0);
const allRows = () => rows.map((_, i) => i);

describe('the scored rows', () => {
  it('hold unseen categories and missing values the way the real data has them', () => {
    expect(rows.length).toBeGreaterThan(150);
    expect(info.unseen_rows.length).toBeGreaterThanOrEqual(3);
    const edge = info.edge_rows.map((i) => rows[i]!);
    expect(edge.map((r) => r.race)).toEqual(expect.arrayContaining(['Martian', 'Unknown', '?']));
    expect(edge.map((r) => r.diag_2)).toContain('');
    expect(rows.filter((r) => r.A1Cresult === 'None').length).toBeGreaterThan(10); // "not measured", not NaN
    expect(rows.filter((r) => r.diag_1 === 'Unknown').length).toBeGreaterThan(1); // '?' after cleaning
    expect(info.missing_rows.length).toBeGreaterThan(10);
  });
});

describe.each(MODEL_TYPES)('%s: onnxruntime-node agrees with scikit-learn', (modelType) => {
  let scorer: Scorer;
  let metadata: ModelMetadata;
  let expected: Expected;
  let p: Float64Array;

  beforeAll(async () => {
    const folder = path.join(dir, modelType);
    metadata = await readModelMetadata(path.join(folder, 'metadata.json'));
    expected = JSON.parse(readFileSync(path.join(folder, 'expected.json'), 'utf8')) as Expected;
    scorer = await createScorer(path.join(folder, 'model.onnx'), metadata);
    p = await scorer.score(rows);
  });
  afterAll(async () => scorer?.dispose());

  it('loads the trainer metadata: packed numeric and categorical inputs, hyphenated columns kept', () => {
    expect(metadata.model_type).toBe(modelType);
    expect(scorer.inputs.map((i) => [i.name, i.kind, i.columns])).toEqual([
      ['numeric', 'numeric', metadata.features.numeric], ['categorical', 'categorical', metadata.features.categorical]]);
    expect(scorer.inputs[1]!.columns).toContain('glyburide-metformin');
    expect(expected.validation_parity).toBeLessThanOrEqual(TOLERANCE); // the trainer's own check passed
  });

  it(`probabilities within ${TOLERANCE} of predict_proba on every row, unseen and missing values included`, () => {
    expect(p.length).toBe(expected.proba.length);
    expect(maxAbsDiff(p, expected.proba, allRows())).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(p, expected.proba, info.unseen_rows)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(p, expected.proba, info.missing_rows)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(p, expected.proba, info.edge_rows)).toBeLessThanOrEqual(TOLERANCE);
    // The model is not constant, so agreement means something.
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(0.05);
  });

  it('scores the same from feature vectors (the serving path) as from rows', async () => {
    expect(scorer.columns).toEqual([...metadata.features.numeric, ...metadata.features.categorical]);
    expect(await scorer.scoreVectors(rows.map((row) => scorer.columns.map((column) => row[column])))).toEqual(p);
  });

  it('the same graph gives the same numbers in onnxruntime-node and Python onnxruntime', () => {
    expect(maxAbsDiff(p, expected.onnx_proba, allRows())).toBeLessThanOrEqual(1e-6);
  });

  it('labels at the metadata threshold agree, except within 1e-4 of the threshold', async () => {
    const { probabilities, labels } = await scorer.predict(rows);
    expect(Array.from(probabilities)).toEqual(Array.from(p));
    const threshold = metadata.threshold;
    const compared = allRows().filter((i) => Math.abs(expected.proba[i]! - threshold) >= TOLERANCE);
    expect(compared.length).toBeGreaterThan(rows.length * 0.9);
    const disagreeing = compared.filter((i) => labels[i] !== (expected.proba[i]! >= threshold ? 1 : 0));
    expect(disagreeing).toEqual([]);
    const positives = compared.filter((i) => labels[i] === 1).length;
    expect(positives).toBeGreaterThan(0);
    expect(positives).toBeLessThan(compared.length);
  });

  it('a packed input narrower than the model\'s is refused before scoring, naming the input and the widths', async () => {
    const dropped = metadata.features.categorical.at(-1)!;
    const narrower = {
      ...metadata,
      features: { ...metadata.features, categorical: metadata.features.categorical.slice(0, -1) },
      input_columns: metadata.input_columns!.map((columns) => columns.filter((c) => c !== dropped)),
    };
    const width = metadata.features.categorical.length;
    await expect(createScorer(path.join(dir, modelType, 'model.onnx'), narrower))
      .rejects.toThrow(new RegExp(`input "categorical" has shape \\[\\?, ${width}\\] in the model; expected \\[N, ${width - 1}\\]`));
  });
});
