/**
 * `health-predict history`, the real command against a real MLflow: the table a person reads,
 * the --json array, --since, and what it says when the model or MLflow is not there.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveHistoryOptions } from '../../../src/cli/commands/history.ts';
import { CliUsageError } from '../../../src/cli/options.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { type TimelineEntry, timelineSchema } from '../../../src/registry/timeline.ts';
import { useServices } from '../../harness/services.ts';
import { type BuiltHistory, DAG_ID, buildHistory } from '../registry/history-fixture.ts';
import { client } from '../registry/helpers.ts';

const services = useServices(['mlflow']);
const AIRFLOW = 'http://airflow.example:8080';
let history: BuiltHistory;

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/health-predict.mjs'), 'history', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, MLFLOW_TRACKING_URI: services.mlflowUri, AIRFLOW__API__BASE_URL: AIRFLOW, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** An open stint lasts until now, which differs between two runs of the command. */
const withoutOpenDuration = (entries: TimelineEntry[]) => entries.map((e) => (e.kind === 'production_period' && e.to === null ? { ...e, duration_s: 0 } : e));

const ofHistory = () => ['--model', history.modelName, '--experiment', history.experimentName];

beforeAll(async () => {
  history = await buildHistory(client(services.mlflowUri));
}, 120_000);

describe('health-predict history', () => {
  it('prints the timeline as aligned columns within 100 characters (links aside), newest last', async () => {
    const { status, stdout, stderr } = await cli(ofHistory());
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^History of model '${history.modelName}', as of \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`));
    expect(lines[1]).toBe('WHEN (UTC)           EVENT          VERSION  DETAILS');
    const heads = lines.slice(2).filter((line) => !line.startsWith(' '));
    expect(heads.map((line) => line.slice(21, 45).trimEnd())).toEqual([
      'promotion      v1',
      'in production  v1',
      'drift trigger',
      'skip',
      'refresh        v2',
      'in production  v2',
      'rollback       v2',
      'in production  v1',
      'warning        v3',
      'warning        v3',
    ]);
    for (const line of lines.slice(2)) {
      expect(line.slice(0, 45)).toMatch(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  .{13}  .{7}  | {45})$/);
      if (!/^ +(mlflow|airflow) /.test(line)) expect(line.length).toBeLessThanOrEqual(100);
    }
    const rollback = stdout.slice(stdout.indexOf('rollback       v2'));
    expect(rollback).toMatch(new RegExp(`^rollback       v2       v2 → v1 \\(automatic\\): verify_deployment failed: 0/2 pods\\n {45}ready\\n {45}dag run scheduled__3 of\\n {45}${DAG_ID}\\n {45}mlflow  ${services.mlflowUri}/#/experiments/${history.modelExperimentId}/runs/${history.modelRuns.v2}\\n {45}airflow ${AIRFLOW}/dags/${DAG_ID}/runs/scheduled__3\\n`));
    expect(stdout).toMatch(/in production  v1 {7}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d → now \(\d+s\)\n/);
    expect(stdout).toContain(`dag run drift__2 of\n${' '.repeat(45)}${DAG_ID} (trigger drift)\n`);
  }, 60_000);

  it('--json prints one array of typed entries; --since drops what came before', async () => {
    const all = await cli([...ofHistory(), '--json']);
    expect(all.status).toBe(0);
    const entries = timelineSchema.parse(JSON.parse(all.stdout));
    expect(entries.map((e) => e.kind)).toEqual(['promotion', 'production_period', 'drift', 'skip', 'refresh', 'production_period', 'rollback', 'production_period', 'warning', 'warning']);
    expect(entries[0]!.mlflow_run_url).toBe(`${services.mlflowUri}/#/experiments/${history.decisionExperimentId}/runs/${history.decisionRuns.first}`);

    const since = await cli([...ofHistory(), '--json', '--since', history.afterFirstPromotion.toISOString()]);
    expect(withoutOpenDuration(timelineSchema.parse(JSON.parse(since.stdout)))).toEqual(withoutOpenDuration(entries.slice(1)));
  }, 60_000);

  it('an unknown model and an unreachable MLflow: a clear message and exit code 1', async () => {
    const unknown = await cli(['--model', 'no-such-model-x']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe(`no registered model 'no-such-model-x' in MLflow at ${services.mlflowUri}. Check --model (or MODEL_NAME).\n`);

    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const down = await cli(['--model', 'm'], { MLFLOW_TRACKING_URI: `http://127.0.0.1:${closed}` });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^MLflow at http://127\\.0\\.0\\.1:${closed} is unreachable, so there is no history to show: .*gave up after 3 attempts`));
    expect(down.stdout).toBe('');
  }, 60_000);
});

describe('option resolution (pure)', () => {
  it('defaults the model and experiment to the pipeline environment, validates --since and --limit', () => {
    expect(resolveHistoryOptions({}, {})).toEqual({ modelName: 'health-predict-readmission', experimentName: 'health-predict', json: false });
    expect(resolveHistoryOptions({ since: '2030-01-31', limit: 5, json: true }, { MODEL_NAME: 'm', MLFLOW_EXPERIMENT_NAME: 'e' })).toEqual({
      modelName: 'm',
      experimentName: 'e',
      since: new Date('2030-01-31T00:00:00.000Z'),
      limit: 5,
      json: true,
    });
    expect(() => resolveHistoryOptions({ since: 'yesterday' }, {})).toThrow(CliUsageError);
    expect(() => resolveHistoryOptions({ limit: 0 }, {})).toThrow(/--limit: at least 1/);
  });
});
