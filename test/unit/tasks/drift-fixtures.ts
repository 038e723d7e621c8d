/**
 * Fixtures of the drift monitoring task tests: raw files whose held-back rows arrive as batches
 * (file://), and a production model in a real MLflow registered the way the improvement DAG
 * leaves it — a run holding the trainer's lr ONNX model (test/fixtures/make_parity_fixture.py),
 * evaluated by evaluate_model_performance on a prepared data set (so it carries the manifest tag
 * and test_f1), then promoted with the model file tags register_and_promote_model writes.
 *
 * The measure-drift raw files repeat the training rows as their held-back rows: a batch then
 * comes from exactly the reference's population, so a calm batch measures no drift at all. Fresh
 * synthetic rows would not do: the synthetic ICD codes spread over hundreds of values, and a few
 * hundred reference rows miss many of them, so every fresh batch puts a large share into the
 * PSI's unseen bin (diag_1 PSI > 1 on 700 reference rows).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { parseCsv, formatCsv } from '../../../src/data/csv.ts';
import type { Manifest } from '../../../src/data/manifest.ts';
import { createObjectStore, fileUri } from '../../../src/data/object-store.ts';
import { prepareTrainingData } from '../../../src/data/prepare.ts';
import { RAW_COLUMNS } from '../../../src/data/schema.ts';
import { originBounds } from '../../../src/data/split.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { type MlflowClient, promoteRunModel, type Run } from '../../../src/registry/index.ts';
import { EXIT_OK } from '../../../src/runtime/index.ts';
import evaluateTask from '../../../src/tasks/evaluate-model-performance.ts';
import type { ApiFixture } from '../api/api-fixture.ts';
import { unique } from '../registry/helpers.ts';
import { logModelRun, METADATA_PATH, ONNX_PATH } from './scenario-fixtures.ts';
import { runInMemory } from '../runtime/helpers.ts';
import { problemsOf, runAsAirflow, type TaskRun } from './run-as-airflow.ts';

export const DRIFT_DAG_ID = 'health_predict_drift_monitoring';

/** Runs a drift monitoring task in-process as Airflow would (runAsAirflow's reading, under the drift DAG's id). */
export async function runDriftTask(task: Parameters<typeof runInMemory>[0], taskId: string, input: unknown, options: { runId: string; tryNumber?: number }): Promise<TaskRun> {
  const { code, stdout, logs } = await runInMemory(task, {
    HP_DAG_ID: DRIFT_DAG_ID,
    HP_TASK_ID: taskId,
    HP_RUN_ID: options.runId,
    HP_TRY_NUMBER: String(options.tryNumber ?? 1),
    HP_INPUT: JSON.stringify(input),
  });
  const failure = logs.find((l) => l.level === 'error' && 'error_name' in l) as TaskRun['failure'];
  const skipped = logs.find((l) => l.msg === 'task skipped') as { reason: string } | undefined;
  return { code, stdout, logs, output: code === EXIT_OK ? JSON.parse(stdout.at(-1)!) : undefined, failure, skipReason: skipped?.reason };
}

/** How a drifted copy changes a held-back row: number_inpatient up by 3 (the synthetic generator's own shift for it). */
export const SHIFTED_FEATURE = 'number_inpatient';
const SHIFT = 3;

/**
 * A raw file of `rows` rows whose origin initial set is synthetic and whose held-back rows are
 * copies of its training rows, in order and over again (encounter ids renumbered so each stays
 * unique); `shifted`: every copy has SHIFTED_FEATURE raised. Returns the text and the training
 * split's raw row count (a batch of that size is the training rows once).
 */
export function repeatedTrainingRows(rows: number, seed: number, shifted = false): { text: string; trainRows: number } {
  const [header, ...records] = parseCsv(synthesize({ rows, seed }));
  expect(header!.fields).toEqual([...RAW_COLUMNS]);
  const { train, future } = originBounds(rows);
  const trainRows = train[1];
  const at = (name: string) => RAW_COLUMNS.indexOf(name as (typeof RAW_COLUMNS)[number]);
  const initial = records.slice(0, future[0]).map((r) => r.fields);
  let encounterId = Math.max(...initial.map((fields) => Number(fields[at('encounter_id')])));
  const heldBack = Array.from({ length: future[1] - future[0] }, (_, i) => {
    const copy = [...initial[i % trainRows]!];
    copy[at('encounter_id')] = String(++encounterId);
    if (shifted) copy[at(SHIFTED_FEATURE)] = String(Number(copy[at(SHIFTED_FEATURE)]) + SHIFT);
    return copy;
  });
  return { text: formatCsv(RAW_COLUMNS, [...initial, ...heldBack], '\r\n'), trainRows };
}

/** The origin split of the raw file at `rawUri`, prepared under `outputUri` as prepare_training_data writes it. */
export function prepareOrigin(rawUri: string, outputUri: string): Promise<Manifest> {
  return prepareTrainingData({ sourceUri: rawUri, outputUri }, { store: createObjectStore(), log: { info: () => {} } });
}

export interface Production {
  readonly run: Run;
  readonly version: string;
}

/**
 * Logs the fixture's model as a run of `experimentId` and makes it production of `modelName`:
 * with `manifest`, evaluate_model_performance first records it as the champion evaluated on the
 * manifest's test split (the manifest tag and test_f1), as every model this release trains.
 */
export async function promoteFixtureModel(mlflow: MlflowClient, modelName: string, experimentId: string, fixture: ApiFixture, manifest?: Manifest): Promise<Production> {
  const run = await logModelRun(mlflow, experimentId, unique('lr'), readFileSync(fixture.onnxPath), fixture.metadata);
  const dagRunId = unique('manual__improvement');
  if (manifest) {
    const model = {
      model_type: 'lr',
      run_id: run.info.runId,
      val_f1: 0.5,
      val_auc: 0.7,
      threshold: fixture.metadata.threshold,
      artifact_uri: run.info.artifactUri,
      onnx_path: ONNX_PATH,
      metadata_path: METADATA_PATH,
      parity_max_abs_diff: 0,
      trials_run: 1,
      trials_stopped_early: 0,
      best_params: { C: 1 },
    };
    const evaluated = await runAsAirflow(evaluateTask, 'evaluate_model_performance', { training: { experiment_id: experimentId, dag_run_id: dagRunId, models: [model] }, manifest }, { runId: dagRunId });
    expect(evaluated.code, problemsOf(evaluated)).toBe(EXIT_OK);
  }
  const promoted = await promoteRunModel(mlflow, {
    modelName,
    runId: run.info.runId,
    artifactPath: path.dirname(ONNX_PATH),
    audit: { dag_run_id: dagRunId, onnx_path: ONNX_PATH, metadata_path: METADATA_PATH },
  });
  return { run: await mlflow.runs.get(run.info.runId), version: promoted.version };
}

/** A file:// URI under `dir`. */
export const uriIn = (dir: string, name: string) => fileUri(path.join(dir, name));
