/**
 * run-training-and-hpo against a real MLflow and moto S3 with the smallest search: one model
 * type (lr), one trial, one epoch. The splits are prepare_training_data's own output for a
 * small synthetic data set, so the manifest is the one the DAG hands over; the task downloads
 * and verifies them, runs the Python trainer, and returns its result as the XCom.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Manifest, manifestSchema } from '../../../src/data/manifest.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK } from '../../../src/runtime/index.ts';
import prepareTask from '../../../src/tasks/prepare-training-data.ts';
import trainingTask from '../../../src/tasks/run-training-and-hpo.ts';
import { trainingResultSchema } from '../../../src/training/trainer-protocol.ts';
import { useServices } from '../../harness/services.ts';
import { createBucket, putText, testS3 } from '../data/moto.ts';
import { client, unique } from '../registry/helpers.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const BUCKET = unique('hp-training-task');
const RUN_ID = unique('manual__training');
const run = (input: object) => runAsAirflow(trainingTask, 'run_training_and_hpo', input, { runId: RUN_ID });

const services = useServices(['mlflow', 'moto']);
const experiment = unique('training-task');
let manifest: Manifest;

beforeAll(async () => {
  for (const [name, value] of Object.entries(services.env())) vi.stubEnv(name, value);
  vi.stubEnv('MLFLOW_EXPERIMENT_NAME', experiment);
  vi.stubEnv('TRAINING_MODEL_TYPES', 'lr');
  vi.stubEnv('RAY_NUM_SAMPLES', '1');
  vi.stubEnv('RAY_MAX_EPOCHS', '1');
  vi.stubEnv('RAY_GRACE_PERIOD', '1');
  vi.stubEnv('TRAINING_SEED', '7');
  const s3 = testS3(services.s3Endpoint);
  await createBucket(s3, BUCKET);
  await putText(s3, BUCKET, 'raw/diabetic_data.csv', synthesize({ rows: 3_000, seed: 17 }));
  const prepared = await runAsAirflow(prepareTask, 'prepare_training_data', { source_uri: `s3://${BUCKET}/raw/diabetic_data.csv`, output_uri: `s3://${BUCKET}/prepared/${RUN_ID}` });
  expect(prepared.code, problemsOf(prepared)).toBe(EXIT_OK);
  manifest = manifestSchema.parse(prepared.output);
});
afterAll(() => vi.unstubAllEnvs());

describe('run-training-and-hpo', () => {
  it('trains the configured model types with the configured budget and returns the best model of each', async () => {
    const result = await run({ manifest });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    const training = trainingResultSchema.parse(result.output);
    expect(training.dag_run_id).toBe(RUN_ID);
    expect(training.models.map((m) => [m.model_type, m.trials_run])).toEqual([['lr', 1]]);
    const [model] = training.models;

    const mlflow = client(services.mlflowUri);
    expect((await mlflow.experiments.getOrCreate(experiment)).experimentId).toBe(training.experiment_id);
    const logged = await mlflow.runs.get(model!.run_id);
    expect(logged.info.status).toBe('FINISHED');
    expect((await mlflow.artifacts.download(model!.run_id, model!.onnx_path)).byteLength).toBeGreaterThan(0);
    expect(JSON.parse((await mlflow.artifacts.download(model!.run_id, model!.metadata_path)).toString('utf8'))).toMatchObject({ threshold: model!.threshold });

    expect(result.logs.find((l) => l.msg === 'splits downloaded and verified')).toMatchObject({ train_rows: manifest.files.train.rows, validation_rows: manifest.files.validation.rows });
    expect(result.logs.find((l) => l.msg === 'starting the trainer')).toMatchObject({ model_types: ['lr'], num_samples: 1, max_epochs: 1, grace_period: 1 });
  }, 300_000);

  it('refuses a split that changed after prepare (exit 97) before starting the trainer', async () => {
    const tampered = { ...manifest, files: { ...manifest.files, validation: { ...manifest.files.validation, sha256: '0'.repeat(64) } } };
    const result = await run({ manifest: tampered });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'BadDataError' });
    expect(result.failure!.error_message).toContain(`${manifest.files.validation.uri} does not match the manifest`);
    expect(result.logs.find((l) => l.msg === 'starting the trainer')).toBeUndefined();
  });

  it("passes the trainer's rejection of its data on as a non-retryable failure", async () => {
    const features = { ...manifest.features, numeric: [...manifest.features.numeric, 'no_such_column'] };
    const result = await run({ manifest: { ...manifest, features }, model_types: ['lr'] });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'BadDataError' });
    expect(result.failure!.error_message).toMatch(/The trainer rejected its input data:[\s\S]*missing column\(s\) no_such_column/);
  }, 120_000);

  it('rejects an unknown model type as an input contract violation', async () => {
    const result = await run({ manifest, model_types: ['svm'] });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    expect(result.failure!.error_message).toContain('model_types');
  });
});
