/**
 * Fixtures of the quality-gate scenario tests: one real lr ONNX model built by the trainer's
 * own code (test/fixtures/make_parity_fixture.py), its held-out rows as the test split of a
 * file:// prepared data set with a manifest, MLflow runs holding the model the way training
 * logs it, the `evaluation` input evaluate_model_performance would hand over, and the task
 * runner and decision-run checks the scenarios share.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { z } from 'zod';
import { parseCsv } from '../../../src/data/csv.ts';
import { type Manifest, manifestSchema, type SplitFile } from '../../../src/data/manifest.ts';
import { fileUri, sha256 } from '../../../src/data/object-store.ts';
import { evaluateScores, labelsFromRows } from '../../../src/evaluation/index.ts';
import { DECISION_ARTIFACTS } from '../../../src/gates/decision-run.ts';
import type { GateOutcome } from '../../../src/gates/outcome.ts';
import { GATE_RULE_NAMES, type GateRuleName } from '../../../src/gates/rules.ts';
import type { MlflowClient, Run } from '../../../src/registry/index.ts';
import { EXIT_OK } from '../../../src/runtime/index.ts';
import type evaluateModelPerformance from '../../../src/tasks/evaluate-model-performance.ts';
import { ML_PYTHON } from '../evaluation/onnx-fixture.ts';
import { runInMemory } from '../runtime/helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = path.join(ROOT, 'test/fixtures/make_parity_fixture.py');
/** 15 % of the raw rows are held out; cleaning keeps ~78 % of them: ~1 230 rows, above the default min_sample_size of 1 000. */
const RAW_ROWS = 10_500;
const SEED = 3;

export const DAG_ID = 'health_predict_continuous_improvement';
export type Evaluation = z.infer<typeof evaluateModelPerformance.output>;
export const ONNX_PATH = 'model/model.onnx';
export const METADATA_PATH = 'model/metadata.json';

export interface ScenarioFixture {
  readonly dir: string;
  readonly manifest: Manifest;
  /** The held-out rows (the manifest's test split), every value a string. */
  readonly rows: Record<string, string>[];
  readonly labels: Uint8Array;
  readonly onnx: Buffer;
  /** metadata.json as the trainer wrote it. */
  readonly metadata: Record<string, unknown> & { threshold: number };
  cleanup(): void;
}

/** Builds the lr model and the prepared data set into a temporary directory (~10–30 s, in a child process). */
export async function buildScenarioFixture(): Promise<ScenarioFixture> {
  if (!existsSync(ML_PYTHON)) {
    throw new Error(`the ML Python environment is missing (${ML_PYTHON}); run \`make setup\` or set HP_ML_PYTHON`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'hp-gate-scenarios-'));
  // PYTHONDONTWRITEBYTECODE is set on this machine: keep bytecode in a cache outside the venv.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: path.join(ROOT, 'trainer/src'), PYTHONPYCACHEPREFIX: path.join(tmpdir(), 'hp-pycache') };
  delete env.PYTHONDONTWRITEBYTECODE;
  const args = [SCRIPT, dir, '--rows', String(RAW_ROWS), '--seed', String(SEED), '--model-types', 'lr'];
  try {
    await new Promise<void>((resolve, reject) => {
      const child = execFile(ML_PYTHON, args, { encoding: 'utf8', timeout: 200_000, env, cwd: ROOT }, (error, _stdout, stderr) =>
        error ? reject(new Error(`make_parity_fixture.py failed (${error.message}):\n${stderr}`)) : resolve(),
      );
      child.stdin?.end();
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const manifest = manifestFor(dir);
  const [header, ...records] = parseCsv(readFileSync(path.join(dir, 'rows.csv'), 'utf8'));
  const rows = records.map((record) => Object.fromEntries(header!.fields.map((name, i) => [name, record.fields[i] ?? ''])));
  return {
    dir,
    manifest,
    rows,
    labels: labelsFromRows(rows, manifest.features.target),
    onnx: readFileSync(path.join(dir, 'lr', 'model.onnx')),
    metadata: JSON.parse(readFileSync(path.join(dir, 'lr', 'metadata.json'), 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A manifest over the files make_parity_fixture.py wrote into `dir`: train/validation from its
 * splits, test = rows.csv (the held-out rows); `synthetic` names the source it was made from.
 */
export function manifestFor(dir: string, synthetic: { rows: number; seed: number } = { rows: RAW_ROWS, seed: SEED }): Manifest {
  const features = JSON.parse(readFileSync(path.join(dir, 'splits', 'features.json'), 'utf8')) as Manifest['features'];
  const split = (file: string): SplitFile => {
    const body = readFileSync(file);
    const [header, ...records] = parseCsv(body.toString('utf8'));
    const target = header!.fields.indexOf(features.target);
    const positives = records.filter((r) => r.fields[target] === '1').length;
    return { uri: fileUri(file), rows: records.length, raw_rows: records.length, positives, positive_rate: positives / records.length, sha256: sha256(body), bytes: body.byteLength };
  };
  const train = split(path.join(dir, 'splits', 'train.csv'));
  const validation = split(path.join(dir, 'splits', 'validation.csv'));
  const test = split(path.join(dir, 'rows.csv'));
  const raw = train.rows + validation.rows + test.rows;
  return manifestSchema.parse({
    source: { uri: fileUri(path.join(dir, 'synthetic.csv')), sha256: sha256(`synthetic ${synthetic.rows} rows, seed ${synthetic.seed}`), bytes: 0, rows: synthetic.rows },
    output_uri: fileUri(dir),
    split: {
      kind: 'random',
      raw_rows: raw,
      fractions: { train: 0.7, validation: 0.15, test: 0.15 },
      seed: synthetic.seed,
      prng: 'xoshiro128** + Fisher-Yates',
      applied: 'shuffle raw rows, split, then clean each split',
    },
    files: { train, validation, test },
    features_uri: fileUri(path.join(dir, 'splits', 'features.json')),
    features,
    cleaning: { rows_in: raw, rows_dropped_excluded_discharge: 0, rows_out: raw },
    created_at: new Date().toISOString(),
  });
}

/** A finished MLflow run holding model/model.onnx and model/metadata.json, as training logs a model. */
export async function logModelRun(client: MlflowClient, experimentId: string, runName: string, onnx: Buffer, metadata: object): Promise<Run> {
  const run = await client.runs.create({ experimentId, runName, tags: { 'health_predict.model_type': 'lr' } });
  await client.artifacts.upload(run.info.runId, ONNX_PATH, onnx);
  await client.artifacts.upload(run.info.runId, METADATA_PATH, `${JSON.stringify(metadata, null, 2)}\n`);
  await client.runs.update(run.info.runId, { status: 'FINISHED', endTime: Date.now() });
  return run;
}

/** evaluate_model_performance's output for `run` as champion: test metrics of `probabilities` at `threshold`. */
export function evaluationOf(run: Run, labels: Uint8Array, probabilities: Float64Array, threshold: number): Evaluation {
  const { curves: _curves, ...test } = evaluateScores(labels, probabilities, { threshold, bootstrap: { resamples: 200, seed: 42, level: 0.95 } });
  const base = run.info.artifactUri.replace(/\/+$/, '');
  return {
    champion: {
      model_type: 'lr',
      run_id: run.info.runId,
      val_f1: test.metrics.f1,
      threshold,
      onnx_path: ONNX_PATH,
      metadata_path: METADATA_PATH,
      onnx_uri: `${base}/${ONNX_PATH}`,
      metadata_uri: `${base}/${METADATA_PATH}`,
      plots: [],
    },
    candidates: [{ model_type: 'lr', run_id: run.info.runId, val_f1: test.metrics.f1 }],
    test,
  };
}

/** Runs a task in-process as Airflow would (HP_* env, HP_INPUT) and returns its XCom; fails the test on a non-zero exit. */
export async function runTaskOk(task: Parameters<typeof runInMemory>[0], taskId: string, input: object, dagRunId: string, tryNumber = 1): Promise<unknown> {
  const { code, stdout, logs } = await runInMemory(task, {
    HP_DAG_ID: DAG_ID,
    HP_TASK_ID: taskId,
    HP_RUN_ID: dagRunId,
    HP_TRY_NUMBER: String(tryNumber),
    HP_INPUT: JSON.stringify(input),
  });
  expect(code, JSON.stringify(logs.filter((l) => l.level === 'error' || l.level === 'warn'))).toBe(EXIT_OK);
  return JSON.parse(stdout.at(-1)!);
}

export const rule = (outcome: GateOutcome, name: GateRuleName) => outcome.rules.find((r) => r.name === name)!;

/** The decision's own MLflow run mirrors the outcome: tags per rule, who was compared, the decision JSON. */
export async function expectDecisionRun(mlflow: MlflowClient, outcome: GateOutcome, dagRunId: string, productionVersion: string): Promise<Record<string, string>> {
  const run = await mlflow.runs.get(outcome.decision_run_id);
  const { tags } = run.data;
  expect(run.info.status).toBe('FINISHED');
  expect(tags).toMatchObject({
    'health_predict.kind': 'deployment_decision',
    'health_predict.decision': outcome.decision,
    'health_predict.forced': String(outcome.forced),
    'health_predict.bootstrap_deploy': String(outcome.bootstrap_deploy),
    'health_predict.candidate_run_id': outcome.candidate.run_id,
    'health_predict.candidate_model_type': 'lr',
    'health_predict.production_version': productionVersion,
    'health_predict.dag_id': DAG_ID,
    'health_predict.dag_run_id': dagRunId,
    'mlflow.note.content': outcome.summary,
  });
  for (const name of GATE_RULE_NAMES) {
    const passed = rule(outcome, name).passed;
    expect(tags[`health_predict.rule.${name}`], name).toBe(passed === null ? 'n/a' : passed ? 'pass' : 'fail');
  }
  expect(run.data.metrics.candidate_f1).toBeCloseTo(outcome.candidate.f1, 12);
  if (outcome.production && outcome.delta_f1) {
    expect(run.data.metrics).toMatchObject({ production_f1: outcome.production.f1, delta_f1_p_value: outcome.delta_f1.p_value, rows: outcome.rows });
  } else {
    expect(run.data.metrics.production_f1).toBeUndefined();
  }
  const recorded = JSON.parse((await mlflow.artifacts.download(run.info.runId, DECISION_ARTIFACTS.decision)).toString('utf8'));
  expect(recorded.decision).toMatchObject({ decision: outcome.decision, forced: outcome.forced, reasons: outcome.reasons });
  return tags;
}
