/** recordDriftCheck against a real MLflow server: one run per drift check, reused on a retry of the same DAG run. */
import { describe, expect, it } from 'vitest';
import { DRIFT_ARTIFACTS, driftCheckMetrics, driftReportSchema, driftReportSvg, psiMetricKey, recordDriftCheck } from '../../../src/drift/index.ts';
import { DAG_RUN_ID_TAG } from '../../../src/registry/index.ts';
import { DRIFT_CHECK_KIND, KIND_TAG } from '../../../src/registry/run-tags.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from '../registry/helpers.ts';
import { driftReport } from './report-fixture.ts';

const services = useServices(['mlflow']);
const DAG_ID = 'health_predict_drift_monitoring';

describe('psiMetricKey', () => {
  it('keeps a key MLflow accepts, and replaces anything else deterministically, with a hash so that names never collide', () => {
    expect(psiMetricKey('glyburide-metformin')).toBe('psi_glyburide-metformin');
    expect(psiMetricKey('A1Cresult')).toBe('psi_A1Cresult');
    expect(psiMetricKey('a<b')).toMatch(/^psi_a_b_[0-9a-f]{8}$/);
    expect(psiMetricKey('a<b')).toBe(psiMetricKey('a<b'));
    expect(psiMetricKey('a>b')).not.toBe(psiMetricKey('a<b'));
    expect(psiMetricKey('x/../y')).toMatch(/^psi_x_.._y_[0-9a-f]{8}$/);
  });
});

describe('recordDriftCheck', () => {
  it('records the check as one run (tags, metrics, note, report and picture) and reuses it on a retry of the same DAG run', async () => {
    const mlflow = client(services.mlflowUri);
    const experimentName = unique('drift-record');
    const dagRunId = "scheduled__2026-12-07T09:00:00+00:00 'quoted'";
    const base = driftReport({ shift: true });
    const report = driftReportSchema.parse({ ...base, features: base.features.map((f) => (f.feature === 'group' ? { ...f, feature: 'group <&">' } : f)) });
    const svg = driftReportSvg(report);

    const runId = await recordDriftCheck(mlflow, { experimentName, dagId: DAG_ID, dagRunId, report, svg });
    const retried = await recordDriftCheck(mlflow, { experimentName, dagId: DAG_ID, dagRunId, report, svg });
    expect(retried).toBe(runId);
    const { experimentId } = await mlflow.experiments.getOrCreate(experimentName);
    expect((await mlflow.runs.searchAll({ experimentIds: [experimentId] })).map((r) => r.info.runId)).toEqual([runId]);

    const run = await mlflow.runs.get(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags).toMatchObject({
      [KIND_TAG]: DRIFT_CHECK_KIND,
      'health_predict.drift_level': 'MAJOR',
      'health_predict.drift_action': 'retrain',
      'health_predict.batch_index': '3',
      'health_predict.production_version': '2',
      'health_predict.dag_id': DAG_ID,
      [DAG_RUN_ID_TAG]: dagRunId,
    });
    expect(run.data.tags['mlflow.note.content']).toBe([...report.decision.reasons, `action: ${report.action.reason}`].join('\n'));
    const metrics = driftCheckMetrics(report);
    expect(Object.keys(metrics)).toEqual(expect.arrayContaining(['drift_score', 'prediction_psi', 'batch_f1', 'reference_f1', 'f1_drop', 'batch_rows', 'psi_age', 'psi_visits', 'psi_code', psiMetricKey('group <&">')]));
    for (const [key, value] of Object.entries(metrics)) expect(run.data.metrics[key], key).toBeCloseTo(value, 12);
    expect(run.data.metrics.batch_rows).toBe(1500);

    expect(JSON.parse((await mlflow.artifacts.download(runId, DRIFT_ARTIFACTS.report)).toString('utf8'))).toEqual(report);
    expect((await mlflow.artifacts.download(runId, DRIFT_ARTIFACTS.picture)).toString('utf8')).toBe(svg);
  });

  it('keeps a run per DAG run: another DAG run gets its own', async () => {
    const mlflow = client(services.mlflowUri);
    const experimentName = unique('drift-record');
    const report = driftReport({ batchIndex: 4 });
    const svg = driftReportSvg(report);
    const first = await recordDriftCheck(mlflow, { experimentName, dagId: DAG_ID, dagRunId: 'scheduled__a', report, svg });
    const second = await recordDriftCheck(mlflow, { experimentName, dagId: DAG_ID, dagRunId: 'scheduled__b', report, svg });
    expect(second).not.toBe(first);
    expect((await mlflow.runs.get(second)).data.tags).toMatchObject({ 'health_predict.drift_level': 'NONE', 'health_predict.drift_action': 'none', 'health_predict.batch_index': '4' });
  });

  it('finds its run again whatever quotes the DAG run id holds, and never takes a run of a look-alike id', async () => {
    const mlflow = client(services.mlflowUri);
    const experimentName = unique('drift-record');
    const report = driftReport();
    const svg = driftReportSvg(report);
    const ids = [`manual__it's "quoted"`, 'manual__it_s _quoted_', 'manual__it"s "quoted"'];
    const first = await Promise.all(ids.map((dagRunId) => recordDriftCheck(mlflow, { experimentName, dagId: DAG_ID, dagRunId, report, svg })));
    expect(new Set(first).size).toBe(3);
    for (const [i, dagRunId] of ids.entries()) expect(await recordDriftCheck(mlflow, { experimentName, dagId: DAG_ID, dagRunId, report, svg })).toBe(first[i]);
    const { experimentId } = await mlflow.experiments.getOrCreate(experimentName);
    expect(await mlflow.runs.searchAll({ experimentIds: [experimentId] })).toHaveLength(3);
  });
});
