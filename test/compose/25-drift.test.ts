/**
 * Drift monitoring on the compose platform, with its real scheduler. Runs after 20-pipeline
 * (production is the model it deployed, trained on the seeded synthetic rows).
 *
 * - Scheduled: the lane sets DRIFT_MONITORING_SCHEDULE to every minute (the deployment's way to
 *   change the 3-hourly default without a rebuild); the DAG shows that schedule and has
 *   scheduled runs that succeeded, with no trigger. On the seeded rows (no drift injected) they
 *   measure the first held-back batch, or skip with the reason before production exists or once
 *   the held-back rows are used up; they never start a retraining.
 * - Drift: a synthetic file whose held-back rows have shifted features, monitored under a prefix
 *   of its own: the first run finds MAJOR drift and starts the improvement DAG, which the
 *   scheduler runs to the end (operator_triggered) on the reference plus the batch, deciding
 *   with the gates; the second run, inside the cooldown, starts nothing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/host/repo-root.ts';
import { describeWithService } from '../harness/skip.ts';
import { AirflowApi, type DagRun } from './airflow-api.ts';
import './context.ts';

const DRIFT = 'health_predict_drift_monitoring';
const PIPELINE = 'health_predict_continuous_improvement';
const SCHEDULE = '* * * * *';
const RAW_URI = 's3://health-predict-data/drift-lane/diabetic_data.csv';
const MONITORING_URI = 's3://health-predict-data/drift-lane/monitoring';

interface DriftCheck {
  level: string;
  action: string;
  action_reason: string;
  batch_index: number;
  report_uri: string;
  training_batches: string[];
}

describeWithService(inject('platformSkip'), 'compose Airflow: drift monitoring closes the loop', () => {
  const platform = inject('platform');
  const api = new AirflowApi(platform);
  const conf = { raw_data_uri: RAW_URI, monitoring_uri: MONITORING_URI, batch_size: 4000, notification_channels: ['airflow', 'slack'], deploy_target: platform.deploy.target };

  let major = '';
  let retraining: DagRun | undefined;
  let cooled = '';

  beforeAll(async () => {
    // 10 000 rows: the first 2 000 are the reference, the held-back 8 000 (two batches of 4 000) are shifted.
    const synth = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/health-predict.mjs'), 'data', 'synth', '--rows', '10000', '--seed', '3', '--drift-from-row', '2000', '--drift-features', 'num_medications,time_in_hospital,A1Cresult', '--out', RAW_URI],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, AWS_ENDPOINT_URL_S3: platform.s3Endpoint, AWS_ACCESS_KEY_ID: platform.secrets.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: platform.secrets.AWS_SECRET_ACCESS_KEY, AWS_REGION: 'us-east-1' },
      },
    );
    if (synth.status !== 0) throw new Error(`data synth exited ${synth.status}: ${synth.stderr}`);

    major = (await api.trigger(DRIFT, conf)).dag_run_id;
    await api.waitForRun(DRIFT, major, { timeoutMs: 5 * 60_000 });
    const started = (await api.runs(PIPELINE)).filter((run) => run.run_type === 'operator_triggered');
    if (started.length === 1) retraining = await api.waitForRun(PIPELINE, started[0]!.dag_run_id, { timeoutMs: 15 * 60_000 });

    cooled = (await api.trigger(DRIFT, conf)).dag_run_id;
    await api.waitForRun(DRIFT, cooled, { timeoutMs: 5 * 60_000 });
  });

  it('runs on the schedule the deployment set, without a trigger, and scheduled runs never retrain on undrifted rows', async () => {
    const dag = await api.request<{ timetable_summary: string | null; is_paused: boolean }>('GET', `/dags/${DRIFT}`);
    expect(dag.timetable_summary).toBe(SCHEDULE);
    expect(dag.is_paused).toBe(false);
    const scheduled = (await api.runs(DRIFT)).filter((run) => run.run_type === 'scheduled');
    expect(scheduled.filter((run) => run.state === 'success').length).toBeGreaterThan(0);
    expect(scheduled.filter((run) => run.state === 'failed')).toEqual([]);
    for (const run of scheduled.filter((r) => r.state === 'success')) {
      expect((await api.states(DRIFT, run.dag_run_id)).trigger_continuous_improvement ?? 'skipped').toBe('skipped');
    }
  });

  it('MAJOR drift starts the improvement DAG with the batches, and the scheduler runs it to a decision', async () => {
    expect((await api.run(DRIFT, major)).state).toBe('success');
    const check = await api.xcom<DriftCheck>(DRIFT, major, 'measure_drift');
    expect(check.level === 'MAJOR' || check.level === 'PERFORMANCE_DROP', JSON.stringify(check)).toBe(true);
    expect(check.action).toBe('retrain');
    const states = await api.states(DRIFT, major);
    expect(states).toMatchObject({ trigger_continuous_improvement: 'success', notify_drift_retraining: 'success', notify_drift_warning: 'skipped', no_action: 'skipped', end: 'success' });

    expect(retraining, 'exactly one operator_triggered run of the improvement DAG').toBeDefined();
    expect(retraining!.state, JSON.stringify(await api.states(PIPELINE, retraining!.dag_run_id))).toBe('success');
    const run = await api.run(PIPELINE, retraining!.dag_run_id);
    expect(run.conf).toMatchObject({ raw_data_uri: RAW_URI, training_batches: [`${MONITORING_URI}/batches/batch-0001.csv`], drift_level: check.level, drift_report_uri: check.report_uri });
    const manifest = await api.xcom<{ split: { kind: string }; files: Record<string, { raw_rows: number }> }>(PIPELINE, run.dag_run_id, 'prepare_training_data');
    expect(manifest.split.kind).toBe('arrived');
    expect(manifest.files.train!.raw_rows).toBe(2000 + 2000);
    const outcome = await api.xcom<{ decision: string }>(PIPELINE, run.dag_run_id, 'compare_against_production');
    expect(['DEPLOY', 'DEPLOY_REFRESH', 'SKIP']).toContain(outcome.decision);

    const received = (await fetch(platform.webhookReceived).then((r) => r.json())) as { body: string }[];
    expect(received.some((message) => message.body.includes('retraining') && message.body.includes('batch 1'))).toBe(true);
  });

  it('a second drift inside DRIFT_ALERT_COOLDOWN_HOURS starts nothing', async () => {
    expect((await api.run(DRIFT, cooled)).state).toBe('success');
    const check = await api.xcom<DriftCheck>(DRIFT, cooled, 'measure_drift');
    expect(check.batch_index).toBe(2);
    expect(['MODERATE', 'MAJOR', 'PERFORMANCE_DROP']).toContain(check.level);
    expect(check.action).toBe('none');
    expect(check.action_reason).toContain('cooldown');
    expect(await api.states(DRIFT, cooled)).toMatchObject({ trigger_continuous_improvement: 'skipped', no_action: 'success' });
    expect((await api.runs(PIPELINE)).filter((r) => r.run_type === 'operator_triggered')).toHaveLength(1);
  });
});
