/**
 * The audit trail against a real MLflow: a history written by the pipeline's own functions
 * (decision runs, promotions, a refresh, a rollback) read back as one ordered timeline with
 * reasons and links; plus the shapes only hand-written tags produce (a manual rollback, an
 * overwritten rollback record, a trigger outside the vocabulary).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { airflowRunUrl } from '../../../src/notify/render.ts';
import { type ModelVersion, type Run } from '../../../src/registry/index.ts';
import { UnknownModelError, readTimelineSources } from '../../../src/registry/read-timeline.ts';
import { type TimelineEntry, buildTimeline, timelineSchema } from '../../../src/registry/timeline.ts';
import { useServices } from '../../harness/services.ts';
import { type BuiltHistory, DAG_ID, ROLLBACK_REASON, SKIP_SUMMARY, buildHistory } from './history-fixture.ts';
import { client } from './helpers.ts';

const services = useServices(['mlflow']);
const AIRFLOW = 'http://airflow.example:8080';
let history: BuiltHistory;
let entries: TimelineEntry[];

const runUrl = (experimentId: string, runId: string) => `${services.mlflowUri}/#/experiments/${experimentId}/runs/${runId}`;
const airflowUrl = (dagRunId: string) => `${AIRFLOW}/dags/${DAG_ID}/runs/${encodeURIComponent(dagRunId)}`;
const shape = (list: TimelineEntry[]) => list.map((e) => `${e.kind}${e.version ? ` v${e.version}` : ''}`);

beforeAll(async () => {
  const mlflow = client(services.mlflowUri);
  history = await buildHistory(mlflow);
  const sources = await readTimelineSources(mlflow, { modelName: history.modelName, experimentName: history.experimentName });
  entries = buildTimeline({ ...sources, airflowRunUrl: (dagId, dagRunId) => airflowRunUrl(AIRFLOW, dagId, dagRunId), now: new Date() });
}, 120_000);

describe('buildTimeline over a real registry', () => {
  it('lists every event oldest first, the trigger before its decision and a stint after the event that opens it', () => {
    expect(shape(entries)).toEqual([
      'promotion v1',
      'production_period v1',
      'drift',
      'skip',
      'refresh v2',
      'production_period v2',
      'rollback v2',
      'production_period v1',
      'warning v3',
      'warning v3',
    ]);
    expect(timelineSchema.parse(entries)).toEqual(entries);
    const times = entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a promotion carries its decision, numbers, dag run and the decision run; its stint the model run', () => {
    const [promotion, stint] = entries;
    expect(promotion).toMatchObject({
      kind: 'promotion',
      decision: 'DEPLOY',
      forced: false,
      bootstrap: true,
      delta_f1: null,
      dag_id: DAG_ID,
      dag_run_id: 'scheduled__1',
      mlflow_run_url: runUrl(history.decisionExperimentId, history.decisionRuns.first),
      airflow_run_url: airflowUrl('scheduled__1'),
    });
    expect(promotion!.reason).toBe('decision DEPLOY, first model');
    expect(stint).toMatchObject({ kind: 'production_period', at: promotion!.at, mlflow_run_url: runUrl(history.modelExperimentId, history.modelRuns.v1) });
    expect(stint).toMatchObject({ to: entries[4]!.at, reason: `promoted, decision DEPLOY, dag run ${DAG_ID}/scheduled__1` });
  });

  it('the drift-triggered SKIP: the trigger with its level, then the decision with its summary', () => {
    const drift = entries.find((e) => e.kind === 'drift');
    const skip = entries.find((e) => e.kind === 'skip');
    const link = runUrl(history.decisionExperimentId, history.decisionRuns.skip);
    expect(drift).toMatchObject({ trigger: 'drift', drift_level: 'MODERATE', decision: 'SKIP', dag_run_id: 'drift__2', mlflow_run_url: link, reason: 'drift level MODERATE triggered the DAG run' });
    expect(skip).toMatchObject({ reason: SKIP_SUMMARY, trigger: 'drift', drift_level: 'MODERATE', mlflow_run_url: link, airflow_run_url: airflowUrl('drift__2') });
  });

  it('the refresh and its automatic rollback, with the failed dag run and the restored version', () => {
    const refresh = entries.find((e) => e.kind === 'refresh');
    expect(refresh).toMatchObject({ decision: 'DEPLOY_REFRESH', delta_f1: 0.01, delta_f1_lower_bound: -0.002, reason: 'decision DEPLOY_REFRESH, ΔF1 +0.0100 (lower bound -0.0020)' });
    expect(refresh!.mlflow_run_url).toBe(runUrl(history.decisionExperimentId, history.decisionRuns.refresh));
    const rollback = entries.find((e) => e.kind === 'rollback');
    expect(rollback).toMatchObject({ version: '2', restored_version: '1', mode: 'automatic', reason: ROLLBACK_REASON, dag_run_id: 'scheduled__3', airflow_run_url: airflowUrl('scheduled__3') });
    const [, , , , , secondStint, , current] = entries;
    expect(secondStint).toMatchObject({ to: rollback!.at });
    expect(current).toMatchObject({ at: rollback!.at, to: null, reason: `rollback of version 2: ${ROLLBACK_REASON}`, dag_run_id: 'scheduled__3' });
  });

  it('unreadable tags become warnings naming the version and the tag', () => {
    const warnings = entries.filter((e) => e.kind === 'warning').map((e) => e.reason);
    expect(warnings[0]).toBe('Version 3: unreadable health_predict.production_periods tag (expected a JSON list of {from, to, reason}), its production periods are not shown: not json');
    expect(warnings[1]).toMatch(/^Version 3: unreadable health_predict\.rollback tag .*\{"reason":$/);
  });

  it('--since keeps what happened from then on and the stint still serving then; --limit the newest entries and every warning', async () => {
    const mlflow = client(services.mlflowUri);
    const sources = await readTimelineSources(mlflow, { modelName: history.modelName, experimentName: history.experimentName });
    const since = buildTimeline({ ...sources, now: new Date() }, { since: history.afterFirstPromotion });
    expect(shape(since)).toEqual(shape(entries).slice(1));
    expect(since.every((e) => e.airflow_run_url === null)).toBe(true);
    expect(shape(buildTimeline({ ...sources, now: new Date() }, { limit: 2 }))).toEqual(['rollback v2', 'production_period v1', 'warning v3', 'warning v3']);
  });

  it('an unknown model is an error that names it', async () => {
    await expect(readTimelineSources(client(services.mlflowUri), { modelName: 'no-such-model-x', experimentName: 'x' })).rejects.toThrow(
      new UnknownModelError("no registered model 'no-such-model-x'"),
    );
  });
});

describe('buildTimeline: hand-written tags', () => {
  const now = new Date('2030-06-01T00:00:00.000Z');
  const version = (number: string, tags: Record<string, string>): ModelVersion => ({
    name: 'm',
    version: number,
    creationTimestamp: Date.parse('2030-01-01T00:00:00.000Z'),
    lastUpdatedTimestamp: undefined,
    description: '',
    tags,
    source: 's',
    runId: undefined,
    status: 'READY',
    statusMessage: undefined,
    aliases: [],
  });
  const periods = (...list: { from: string; to: string | null; reason: string }[]) => JSON.stringify(list);
  const sources = (versions: ModelVersion[], runs: Run[] = []) => ({ trackingUri: 'http://mlflow', versions, runs, runExperiments: {}, now });

  it('a manual rollback is told by its trigger, with its own dag run; an overwritten earlier rollback still shows from the period', () => {
    const v1 = version('1', {
      'health_predict.production_periods': periods(
        { from: '2030-01-01T00:00:00.000Z', to: '2030-02-01T00:00:00.000Z', reason: 'promoted' },
        { from: '2030-03-01T00:00:00.000Z', to: '2030-04-01T00:00:00.000Z', reason: 'rollback of version 2: health check failed' },
        { from: '2030-05-01T00:00:00.000Z', to: null, reason: 'rollback of version 2: operator asked' },
      ),
    });
    const v2 = version('2', {
      'health_predict.dag_id': DAG_ID,
      'health_predict.dag_run_id': 'scheduled__2',
      'health_predict.rollback': JSON.stringify({ reason: 'operator asked', at: '2030-05-01T00:00:00.000Z', restored: '1', trigger: 'manual', dag_id: 'health_predict_rollback', dag_run_id: 'manual__9' }),
    });
    const rollbacks = buildTimeline(sources([v1, v2])).filter((e) => e.kind === 'rollback');
    expect(rollbacks).toMatchObject([
      { at: '2030-03-01T00:00:00.000Z', version: '2', restored_version: '1', mode: 'automatic', reason: 'health check failed', dag_run_id: 'scheduled__2' },
      { at: '2030-05-01T00:00:00.000Z', version: '2', restored_version: '1', mode: 'manual', trigger: 'manual', reason: 'operator asked', dag_id: 'health_predict_rollback', dag_run_id: 'manual__9' },
    ]);
  });

  it('an open stint lasts until now; a trigger outside manual|schedule|drift is a warning and no trigger', () => {
    const v1 = version('1', { 'health_predict.production_periods': periods({ from: '2030-05-31T22:00:00.000Z', to: null, reason: 'promoted' }), 'health_predict.trigger': 'cron' });
    const timeline = buildTimeline(sources([v1]));
    expect(timeline.find((e) => e.kind === 'production_period')).toMatchObject({ duration_s: 7200, trigger: null });
    expect(timeline.find((e) => e.kind === 'warning')!.reason).toBe("Version 1: health_predict.trigger is 'cron', expected one of manual, schedule, drift");
  });
});
