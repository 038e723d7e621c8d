/**
 * evaluate-model-performance against a real MLflow: two trained runs of the API tests' fixture
 * model stand for run_training_and_hpo's result; the task picks the champion by validation F1,
 * scores the manifest's test split (file://) with its ONNX model and records the evaluation in
 * the champion's run.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PLOT_ARTIFACTS } from '../../../src/evaluation/champion-report.ts';
import type { MlflowClient, Run } from '../../../src/registry/index.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK } from '../../../src/runtime/index.ts';
import evaluateTask from '../../../src/tasks/evaluate-model-performance.ts';
import { useServices } from '../../harness/services.ts';
import { type ApiFixture, buildApiFixture } from '../api/api-fixture.ts';
import { client, unique } from '../registry/helpers.ts';
import { logModelRun, manifestFor, METADATA_PATH, ONNX_PATH } from './scenario-fixtures.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const RUN_ID = unique('manual__evaluate');
const run = (input: object) => runAsAirflow(evaluateTask, 'evaluate_model_performance', input, { runId: RUN_ID });

const services = useServices(['mlflow']);
let fixture: ApiFixture;
let manifest: ReturnType<typeof manifestFor>;
let mlflow: MlflowClient;
let training: { experiment_id: string; dag_run_id: string; models: object[] };
let better: Run;

const trained = (logged: Run, valF1: number) => ({
  model_type: 'lr',
  run_id: logged.info.runId,
  val_f1: valF1,
  val_auc: 0.7,
  threshold: fixture.metadata.threshold,
  artifact_uri: logged.info.artifactUri,
  onnx_path: ONNX_PATH,
  metadata_path: METADATA_PATH,
  parity_max_abs_diff: 0,
  trials_run: 1,
  trials_stopped_early: 0,
  best_params: { C: 1 },
});

beforeAll(async () => {
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
  vi.stubEnv('TRAINING_SEED', '42');
  fixture = buildApiFixture({ modelType: 'lr', rows: 800, seed: 5 });
  manifest = manifestFor(fixture.dir, { rows: 800, seed: 5 });
  mlflow = client(services.mlflowUri);
  const { experimentId } = await mlflow.experiments.getOrCreate(unique('evaluate-task'));
  const onnx = readFileSync(fixture.onnxPath);
  const worse = await logModelRun(mlflow, experimentId, 'lr-worse', onnx, fixture.metadata);
  better = await logModelRun(mlflow, experimentId, 'lr-better', onnx, fixture.metadata);
  training = { experiment_id: experimentId, dag_run_id: RUN_ID, models: [trained(worse, 0.31), trained(better, 0.42)] };
}, 240_000);
afterAll(() => {
  vi.unstubAllEnvs();
  fixture?.cleanup();
});

describe('evaluate-model-performance', () => {
  it('picks the champion by validation F1, evaluates it on the test split and records it in its run', async () => {
    const result = await run({ training, manifest });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    const { champion, candidates, test } = result.output!;
    const base = better.info.artifactUri.replace(/\/+$/, '');
    expect(champion).toMatchObject({
      model_type: 'lr',
      run_id: better.info.runId,
      val_f1: 0.42,
      threshold: fixture.metadata.threshold,
      onnx_uri: `${base}/${ONNX_PATH}`,
      metadata_uri: `${base}/${METADATA_PATH}`,
      plots: Object.values(PLOT_ARTIFACTS),
    });
    expect(candidates.map((c: { val_f1: number }) => c.val_f1)).toEqual([0.31, 0.42]);
    expect(test.metrics.n).toBe(manifest.files.test.rows);
    expect(test.curves).toBeUndefined();

    const recorded = await mlflow.runs.get(better.info.runId);
    expect(recorded.data.tags).toMatchObject({ 'health_predict.champion': 'true', 'health_predict.dag_run_id': RUN_ID });
    expect(recorded.data.metrics.test_f1).toBeCloseTo(test.metrics.f1, 12);
    for (const plot of Object.values(PLOT_ARTIFACTS)) expect((await mlflow.artifacts.download(better.info.runId, plot)).byteLength).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a test split that changed after prepare (exit 97)', async () => {
    const files = { ...manifest.files, test: { ...manifest.files.test, sha256: '0'.repeat(64) } };
    const result = await run({ training, manifest: { ...manifest, files } });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'BadDataError' });
    expect(result.failure!.error_message).toContain('does not match the manifest');
  });

  it('rejects a training result without models as an input contract violation', async () => {
    const result = await run({ training: { ...training, models: [] }, manifest });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    expect(result.failure!.error_message).toContain('training.models');
  });
});
