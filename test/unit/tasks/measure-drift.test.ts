/**
 * measure-drift against a real MLflow and file:// object store. The production model is the
 * trainer's lr model, evaluated by evaluate_model_performance on a prepared origin split (so its
 * run names the manifest whose train split is the reference, and holds test_f1) and promoted.
 * Batches come from take_next_batch: the training rows again (no drift), or the same rows with
 * number_inpatient shifted up (MAJOR drift). Covers the report files, the MLflow run, the alert
 * record and its cooldown, a retry of the same DAG run, trigger_retraining=false, and a
 * production run that does not name its manifest.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Manifest } from '../../../src/data/manifest.ts';
import { createObjectStore, joinUri } from '../../../src/data/object-store.ts';
import { alertStateSchema, alertStateUri, driftReportSchema, driftReportSvg } from '../../../src/drift/index.ts';
import { driftCheckSchema, type TakenBatch, takenBatchSchema } from '../../../src/pipeline/contract/drift.ts';
import { DAG_RUN_ID_TAG, type MlflowClient } from '../../../src/registry/index.ts';
import { DRIFT_CHECK_KIND, KIND_TAG, MANIFEST_URI_TAG } from '../../../src/registry/run-tags.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK } from '../../../src/runtime/index.ts';
import measureTask from '../../../src/tasks/measure-drift.ts';
import takeTask from '../../../src/tasks/take-next-batch.ts';
import { useServices } from '../../harness/services.ts';
import { type ApiFixture, buildApiFixture } from '../api/api-fixture.ts';
import { tempDir } from '../data/fixtures.ts';
import { client, unique } from '../registry/helpers.ts';
import { DRIFT_DAG_ID, type Production, prepareOrigin, promoteFixtureModel, repeatedTrainingRows, runDriftTask, SHIFTED_FEATURE } from './drift-fixtures.ts';
import { problemsOf } from './run-as-airflow.ts';

// 10 000 raw rows: the origin train split is raw rows 0–1 399 (the reference), its test split
// rows 1 700–1 999; the held-back rows 2 000–9 999 repeat the training rows, 1 400 a batch.
const ROWS = 10_000;
const calm = repeatedTrainingRows(ROWS, 21);
const shifted = repeatedTrainingRows(ROWS, 21, true);
const BATCH_SIZE = calm.trainRows;

const services = useServices(['mlflow']);
const tmp = tempDir('hp-measure-drift-');
const store = createObjectStore();
const MODEL_NAME = unique('drift-measure');
const EXPERIMENT_NAME = unique('drift-checks');
let fixture: ApiFixture;
let mlflow: MlflowClient;
let experimentId: string;
let manifest: Manifest;
let production: Production;
let calmUri: string;
let shiftedUri: string;

const take = async (rawUri: string, monitoringUri: string, runId: string): Promise<TakenBatch> => {
  const taken = await runDriftTask(takeTask, 'take_next_batch', { raw_data_uri: rawUri, batch_size: BATCH_SIZE, monitoring_uri: monitoringUri }, { runId });
  expect(taken.code, problemsOf(taken)).toBe(EXIT_OK);
  return takenBatchSchema.parse(taken.output);
};
const measure = (input: object, runId: string, tryNumber = 1) => runDriftTask(measureTask, 'measure_drift', input, { runId, tryNumber });
const measured = async (input: object, runId: string, tryNumber = 1) => {
  const result = await measure(input, runId, tryNumber);
  expect(result.code, problemsOf(result)).toBe(EXIT_OK);
  return driftCheckSchema.parse(result.output);
};
const readJson = async (uri: string) => JSON.parse((await store.get(uri)).body.toString('utf8'));
const checkRunsOf = async (dagRunId: string) =>
  (await mlflow.runs.searchAll({ experimentIds: [experimentId] })).filter((run) => run.data.tags[DAG_RUN_ID_TAG] === dagRunId);

beforeAll(async () => {
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
  vi.stubEnv('MODEL_NAME', MODEL_NAME);
  vi.stubEnv('DRIFT_MLFLOW_EXPERIMENT_NAME', EXPERIMENT_NAME);
  for (const name of ['DRIFT_THRESHOLD_MINOR', 'DRIFT_THRESHOLD_MODERATE', 'DRIFT_THRESHOLD_MAJOR', 'DRIFT_ALERT_COOLDOWN_HOURS']) vi.stubEnv(name, undefined);
  // The reference F1 is measured on the 300-row test split and the batch F1 on the ~1 400
  // training rows of a model trained on other synthetic rows: two small samples whose F1 differ
  // by sampling noise of several hundredths. 0.3 keeps that noise from ever being a
  // PERFORMANCE_DROP, so the level here is the distribution's own (the F1 check has unit tests).
  vi.stubEnv('DRIFT_PERFORMANCE_DROP', '0.3');
  calmUri = tmp.write('calm.csv', calm.text);
  shiftedUri = tmp.write('shifted.csv', shifted.text);
  fixture = buildApiFixture({ modelType: 'lr', rows: 800, seed: 5 });
  // The shifted file's initial rows are the calm file's, so one prepared split is the reference of both.
  manifest = await prepareOrigin(calmUri, tmp.uri('prepared'));
  expect(manifest.files.train.raw_rows).toBe(BATCH_SIZE);
  mlflow = client(services.mlflowUri);
  ({ experimentId } = await mlflow.experiments.getOrCreate(unique('drift-measure-models')));
  production = await promoteFixtureModel(mlflow, MODEL_NAME, experimentId, fixture, manifest);
  expect(production.run.data.tags[MANIFEST_URI_TAG]).toBe(joinUri(manifest.output_uri, 'manifest.json'));
  ({ experimentId } = await mlflow.experiments.getOrCreate(EXPERIMENT_NAME));
}, 240_000);
afterAll(() => {
  vi.unstubAllEnvs();
  fixture?.cleanup();
  tmp.cleanup();
});

describe('measure-drift', () => {
  it('a batch of the reference population: NONE, no action, the report written, no alert recorded', async () => {
    const monitoringUri = tmp.uri('monitoring-calm');
    const taken = await take(calmUri, monitoringUri, 'scheduled__calm');
    const check = await measured({ taken, monitoring_uri: monitoringUri }, 'scheduled__calm');

    expect(check).toMatchObject({
      level: 'NONE',
      drift_level: 'NONE',
      score: 0,
      action: 'none',
      action_reason: 'no drift (NONE): nothing to do',
      batch_index: 1,
      reference_f1: production.run.data.metrics.test_f1,
      model_name: MODEL_NAME,
      production_version: production.version,
      report_uri: joinUri(monitoringUri, 'reports/batch-0001/drift_report.json'),
      picture_uri: joinUri(monitoringUri, 'reports/batch-0001/drift_report.svg'),
      training_batches: [taken.batch.uri],
    });
    expect(check.batch_rows).toBe(manifest.files.train.rows);
    const report = driftReportSchema.parse(await readJson(check.report_uri));
    expect(report.production).toMatchObject({ reference_uri: manifest.files.train.uri, reference_rows: manifest.files.train.rows, version: production.version });
    expect(existsSync(fileURLToPath(alertStateUri(monitoringUri)))).toBe(false);
    expect((await checkRunsOf('scheduled__calm')).map((run) => run.info.runId)).toEqual([check.mlflow_run_id]);
  });

  describe('a batch with a shifted feature', () => {
    const monitoringUri = tmp.uri('monitoring-shifted');
    let taken: TakenBatch;

    it('is MAJOR and triggers a retraining: report JSON and SVG, an MLflow run with its tags, the trigger in alerts.json', async () => {
      taken = await take(shiftedUri, monitoringUri, 'scheduled__drift-1');
      const check = await measured({ taken, monitoring_uri: monitoringUri }, 'scheduled__drift-1');

      expect(check).toMatchObject({ level: 'MAJOR', drift_level: 'MAJOR', score_source: SHIFTED_FEATURE, action: 'retrain', batch_index: 1, training_batches: [taken.batch.uri] });
      expect(check.score).toBeGreaterThanOrEqual(0.3);
      expect(check.action_reason).toBe('MAJOR: retraining is triggered (no earlier retrain trigger)');
      expect(check.reasons[0]).toContain(`the largest feature PSI ('${SHIFTED_FEATURE}')`);

      const folder = joinUri(monitoringUri, 'reports/batch-0001');
      expect([check.report_uri, check.picture_uri]).toEqual([joinUri(folder, 'drift_report.json'), joinUri(folder, 'drift_report.svg')]);
      const report = driftReportSchema.parse(await readJson(check.report_uri));
      expect(report).toMatchObject({ decision: { level: 'MAJOR', score_source: SHIFTED_FEATURE }, action: { action: 'retrain' }, batch: { index: 1, uri: taken.batch.uri } });
      expect(report.features.find((f) => f.feature === SHIFTED_FEATURE)!.psi).toBe(check.score);
      const svg = (await store.get(check.picture_uri)).body.toString('utf8');
      expect(svg).toBe(driftReportSvg(report));
      expect(svg).toContain(`${SHIFTED_FEATURE} (PSI `);

      const run = await mlflow.runs.get(check.mlflow_run_id);
      expect(run.info.experimentId).toBe(experimentId);
      expect(run.data.tags).toMatchObject({
        [KIND_TAG]: DRIFT_CHECK_KIND,
        'health_predict.drift_level': 'MAJOR',
        'health_predict.drift_action': 'retrain',
        'health_predict.batch_index': '1',
        'health_predict.production_version': production.version,
        'health_predict.dag_id': DRIFT_DAG_ID,
        [DAG_RUN_ID_TAG]: 'scheduled__drift-1',
      });
      expect(run.data.metrics.drift_score).toBeCloseTo(check.score, 12);

      const alerts = alertStateSchema.parse(await readJson(alertStateUri(monitoringUri)));
      expect(alerts).toMatchObject({ last_retrain: { dag_run_id: 'scheduled__drift-1', level: 'MAJOR', batch_index: 1 }, last_warning: null });
    });

    it('a retry of the same DAG run triggers again (not held back by its own record), in the same MLflow run', async () => {
      const before = await readJson(alertStateUri(monitoringUri));
      const [first] = await checkRunsOf('scheduled__drift-1');
      const check = await measured({ taken, monitoring_uri: monitoringUri }, 'scheduled__drift-1', 2);
      expect(check.action).toBe('retrain');
      expect(check.action_reason).toContain('(again: this DAG run already raised it, a retry repeats it)');
      expect(check.mlflow_run_id).toBe(first!.info.runId);
      expect(await checkRunsOf('scheduled__drift-1')).toHaveLength(1);
      expect(await readJson(alertStateUri(monitoringUri))).toEqual(before);
    });

    it('the next DAG run, within the cooldown, measures MAJOR again but does nothing, saying why', async () => {
      const before = await readJson(alertStateUri(monitoringUri));
      const next = await take(shiftedUri, monitoringUri, 'scheduled__drift-2');
      expect(next.batch.index).toBe(2);
      const check = await measured({ taken: next, monitoring_uri: monitoringUri }, 'scheduled__drift-2');
      expect(check).toMatchObject({ level: 'MAJOR', action: 'none', batch_index: 2, training_batches: [taken.batch.uri, next.batch.uri] });
      expect(check.action_reason).toMatch(
        /^MAJOR, but the last retrain trigger \(DAG run 'scheduled__drift-1', MAJOR on batch 1\) was at \S+: within DRIFT_ALERT_COOLDOWN_HOURS, the cooldown ends at \S+$/,
      );
      expect(check.report_uri).toBe(joinUri(monitoringUri, 'reports/batch-0002/drift_report.json'));
      expect(await readJson(alertStateUri(monitoringUri))).toEqual(before);
      expect(await checkRunsOf('scheduled__drift-2')).toHaveLength(1);
    });

    it("with trigger_retraining false, reports MAJOR but takes no action and records no trigger", async () => {
      const reportOnly = tmp.uri('monitoring-report-only');
      const check = await measured({ taken, monitoring_uri: reportOnly, trigger_retraining: false }, 'scheduled__report-only');
      expect(check).toMatchObject({ level: 'MAJOR', action: 'none' });
      expect(check.action_reason).toBe('MAJOR: retraining is triggered (no earlier retrain trigger) Not triggered: trigger_retraining is false.');
      expect(existsSync(fileURLToPath(alertStateUri(reportOnly)))).toBe(false);
    });
  });

  it('fails without retries when the production run does not name its training data', async () => {
    const bare = unique('drift-measure-bare');
    const promoted = await promoteFixtureModel(mlflow, bare, (await mlflow.experiments.getOrCreate(unique('drift-measure-bare'))).experimentId, fixture);
    const monitoringUri = tmp.uri('monitoring-bare');
    const taken = await take(calmUri, monitoringUri, 'scheduled__bare');
    vi.stubEnv('MODEL_NAME', bare);
    try {
      const result = await measure({ taken, monitoring_uri: monitoringUri }, 'scheduled__bare');
      expect(result.code).toBe(EXIT_NON_RETRYABLE);
      expect(result.failure!.error_message).toContain(`Production version 1 of '${bare}' (run ${promoted.run.info.runId}) has no ${MANIFEST_URI_TAG} tag or test_f1 metric`);
    } finally {
      vi.stubEnv('MODEL_NAME', MODEL_NAME);
    }
    expect(existsSync(fileURLToPath(joinUri(monitoringUri, 'reports')))).toBe(false);
  }, 60_000);
});
