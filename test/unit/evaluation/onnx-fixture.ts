/**
 * A real ONNX model for the evaluation tests, built by test/fixtures/make_onnx_fixture.py with
 * the ML virtualenv (scikit-learn + skl2onnx) into a temporary directory. Call
 * `buildOnnxFixture()` in `beforeAll` and `fixture.cleanup()` in `afterAll`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../../src/data/csv.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ML_PYTHON = process.env.HP_ML_PYTHON ?? path.join(ROOT, '.venv/ml/bin/python');
const SCRIPT = path.join(ROOT, 'test/fixtures/make_onnx_fixture.py');

export interface OnnxFixture {
  readonly dir: string;
  readonly modelPath: string;
  readonly metadataPath: string;
  readonly modelBytes: Buffer;
  /** metadata.json as written (plain JSON). */
  readonly metadata: Record<string, unknown> & { input_names: string[]; columns: string[]; threshold: number };
  /** rows.csv: every value a string, as read from the split files. */
  readonly rows: Record<string, string>[];
  readonly target: string;
  readonly expected: {
    /** scikit-learn predict_proba[:, 1] per row (float64). */
    proba: number[];
    label: number[];
    /** Rows holding a category value the model never saw in training. */
    unseen_rows: number[];
    metrics: { f1: number; precision: number; recall: number; accuracy: number; roc_auc: number; average_precision: number };
  };
  cleanup(): void;
}

export function buildOnnxFixture(options: { rows?: number; seed?: number } = {}): OnnxFixture {
  if (!existsSync(ML_PYTHON)) {
    throw new Error(`the ML Python environment is missing (${ML_PYTHON}); run \`make setup\` or set HP_ML_PYTHON`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'hp-onnx-fixture-'));
  const args = [SCRIPT, dir, '--rows', String(options.rows ?? 400), '--seed', String(options.seed ?? 7)];
  // This machine sets PYTHONDONTWRITEBYTECODE, so every run would recompile scikit-learn & co.
  // (~10 s); keep their bytecode in a cache under the temp dir instead (never in the venv).
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPYCACHEPREFIX: path.join(tmpdir(), 'hp-pycache') };
  delete env.PYTHONDONTWRITEBYTECODE;
  const run = spawnSync(ML_PYTHON, args, { encoding: 'utf8', timeout: 120_000, env });
  if (run.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`make_onnx_fixture.py failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ''}):\n${run.stderr}`);
  }
  const [header, ...records] = parseCsv(readFileSync(path.join(dir, 'rows.csv'), 'utf8'));
  const names = header!.fields;
  const rows = records.map((r) => Object.fromEntries(names.map((name, i) => [name, r.fields[i]!])));
  const metadata = JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as OnnxFixture['metadata'];
  return {
    dir,
    modelPath: path.join(dir, 'model.onnx'),
    metadataPath: path.join(dir, 'metadata.json'),
    modelBytes: readFileSync(path.join(dir, 'model.onnx')),
    metadata,
    rows,
    target: (metadata.features as { target: string }).target,
    expected: JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as OnnxFixture['expected'],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
