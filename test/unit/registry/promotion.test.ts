/**
 * Registry promotion against a real MLflow server: aliases, the audit trail of production
 * periods, retries after a crash between any two writes, rollback and the stage sync.
 * A crash is simulated by a client whose registry writes throw from the (k+1)-th on, so the
 * first k writes really happen; then the normal client retries.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuditTrailError,
  type MlflowClient,
  PromotionError,
  type PromotionRequest,
  type Run,
  productionAt,
  productionVersion,
  promoteRunModel,
  readPeriods,
  readRollback,
  restorePrevious,
} from '../../../src/registry/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { useServices } from '../../harness/services.ts';
import { client, crashed, crashingAfter, unique } from './helpers.ts';

const services = useServices(['mlflow']);
let champion: Run;
let challenger: Run;
let incomplete: Run;

const T1 = '2030-01-01T00:00:00.000Z';
const T2 = '2030-02-01T00:00:00.000Z';
const T3 = '2030-03-01T00:00:00.000Z';
const T4 = '2030-04-01T00:00:00.000Z';
const at = (iso: string) => () => new Date(iso);
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms);

async function modelRun(mlflow: MlflowClient, experimentId: string, files = ['model.onnx', 'metadata.json']): Promise<Run> {
  const run = await mlflow.runs.create({ experimentId });
  for (const file of files) await mlflow.artifacts.upload(run.info.runId, `model/${file}`, file === 'metadata.json' ? '{"threshold":0.5}' : Buffer.from([1, 2, 3]));
  return run;
}

beforeAll(async () => {
  const mlflow = client(services.mlflowUri);
  const { experimentId } = await mlflow.experiments.getOrCreate(unique('promotion'));
  champion = await modelRun(mlflow, experimentId);
  challenger = await modelRun(mlflow, experimentId);
  incomplete = await modelRun(mlflow, experimentId, ['model.onnx']);
});

const audit = (dagRunId: string, extra: Record<string, string> = {}) => ({
  decision: 'DEPLOY',
  delta_f1: '0.031',
  ci_lower: '0.012',
  ci_upper: '0.049',
  forced: 'false',
  dag_id: 'health_predict_continuous_improvement',
  dag_run_id: dagRunId,
  ...extra,
});

const request = (modelName: string, run: Run, dagRunId: string, now: string, extra: Partial<PromotionRequest> = {}): PromotionRequest => ({
  modelName,
  runId: run.info.runId,
  artifactPath: 'model',
  audit: audit(dagRunId),
  now: at(now),
  wait: { timeoutMs: 30_000, intervalMs: 100 },
  ...extra,
});

/** Aliases plus, per version, its dag run, production periods, deployed_at and rollback record. */
async function registryState(mlflow: MlflowClient, name: string) {
  const model = await mlflow.models.get(name);
  const versions = await mlflow.models.searchAllVersions({ filter: `name = '${name}'` });
  const byVersion = Object.fromEntries(
    versions.map((v) => [v.version, { runId: v.runId, dagRunId: v.tags['health_predict.dag_run_id'], periods: readPeriods(v), deployedAt: v.tags['health_predict.deployed_at'], rollback: readRollback(v) }]),
  );
  return { aliases: model!.aliases, versions: byVersion };
}

async function stageOf(name: string, version: string): Promise<string> {
  const response = await fetch(`${services.mlflowUri}/api/2.0/mlflow/model-versions/get?name=${encodeURIComponent(name)}&version=${version}`);
  return ((await response.json()) as { model_version: { current_stage: string } }).model_version.current_stage;
}

const WRITES = ['getOrCreate', 'create', 'setTag', 'createVersion', 'registerVersion', 'setVersionTag', 'deleteVersionTag', 'setAlias', 'deleteAlias', 'transitionStage'] as const;

describe('promoteRunModel', () => {
  it('first promotion: registers the run directory, points production at it, no previous; a retry reuses it', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('first');
    const result = await promoteRunModel(mlflow, request(name, champion, 'manual__1', T1));
    expect(result).toEqual({ modelName: name, version: '1', previousVersion: null, source: `${champion.info.artifactUri}/model`, runId: champion.info.runId, reused: false, promotedAt: T1 });

    const version = await mlflow.models.getVersion(name, '1');
    expect(version).toMatchObject({ status: 'READY', runId: champion.info.runId, source: `${champion.info.artifactUri}/model`, aliases: ['production'] });
    expect(version.tags).toMatchObject({ 'health_predict.decision': 'DEPLOY', 'health_predict.delta_f1': '0.031', 'health_predict.ci_lower': '0.012', 'health_predict.ci_upper': '0.049', 'health_predict.forced': 'false', 'health_predict.dag_id': 'health_predict_continuous_improvement', 'health_predict.dag_run_id': 'manual__1', 'health_predict.deployed_at': T1 });
    expect(readPeriods(version)).toEqual([{ from: T1, to: null, reason: 'promoted, decision DEPLOY, dag run health_predict_continuous_improvement/manual__1' }]);
    expect((await mlflow.models.get(name))!.aliases).toEqual({ production: '1' });
    expect(await productionVersion(mlflow, name)).toMatchObject({ version: { version: '1' }, promotedAt: new Date(T1) });

    const before = await registryState(mlflow, name);
    const again = await promoteRunModel(mlflow, request(name, champion, 'manual__1', T2));
    expect(again).toEqual({ ...result, reused: true });
    expect(await registryState(mlflow, name)).toEqual(before);
    expect(Object.keys(before.versions)).toEqual(['1']);
  });

  it('the answer to the create is lost after MLflow registered the version: the promotion finds it, no second version', async () => {
    const name = unique('lost-answer');
    let lost = 0;
    // The real request reaches MLflow; the connection then breaks before its answer arrives (as undici reports it).
    const losingCreate: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('/model-versions/create') && lost++ === 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return response;
    };
    const result = await promoteRunModel(client(services.mlflowUri, { fetch: losingCreate }), request(name, champion, 'manual__lost', T1));
    expect(lost).toBe(1);
    expect(result).toMatchObject({ version: '1', previousVersion: null });
    const state = await registryState(client(services.mlflowUri), name);
    expect(Object.keys(state.versions)).toEqual(['1']);
    expect(state.aliases).toEqual({ production: '1' });
  });

  it('second promotion: previous keeps the replaced version, whose period is closed when the new one opens', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('second');
    await promoteRunModel(mlflow, request(name, champion, 'manual__1', T1));
    const result = await promoteRunModel(mlflow, request(name, challenger, 'scheduled__2', T2, { audit: audit('scheduled__2', { decision: 'DEPLOY_REFRESH', forced: 'true' }) }));
    expect(result).toMatchObject({ version: '2', previousVersion: '1', reused: false, promotedAt: T2, runId: challenger.info.runId });

    const state = await registryState(mlflow, name);
    expect(state.aliases).toEqual({ production: '2', previous: '1' });
    expect(state.versions['1']!.periods).toEqual([{ from: T1, to: T2, reason: expect.stringContaining('manual__1') }]);
    expect(state.versions['2']!.periods).toEqual([{ from: T2, to: null, reason: 'promoted, decision DEPLOY_REFRESH (forced), dag run health_predict_continuous_improvement/scheduled__2' }]);
    expect(state.versions['2']!.deployedAt).toBe(T2);
    expect(state.versions['1']!.deployedAt).toBe(T1);
    expect(await productionVersion(mlflow, name)).toMatchObject({ version: { version: '2' }, promotedAt: new Date(T2) });
  });

  it('the same run promoted by two different dag runs gets two versions', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('two-dag-runs');
    await promoteRunModel(mlflow, request(name, champion, 'manual__a', T1));
    const second = await promoteRunModel(mlflow, request(name, champion, 'manual__b', T2));
    expect(second).toMatchObject({ version: '2', previousVersion: '1', reused: false });
    const state = await registryState(mlflow, name);
    expect(state.aliases).toEqual({ production: '2', previous: '1' });
    expect(state.versions['1']).toMatchObject({ runId: champion.info.runId, dagRunId: 'manual__a' });
    expect(state.versions['2']).toMatchObject({ runId: champion.info.runId, dagRunId: 'manual__b' });
    // a retry of the second dag run finds its own version (not the first one of the same run) and leaves previous alone
    expect(await promoteRunModel(mlflow, request(name, champion, 'manual__b', T3))).toMatchObject({ version: '2', reused: true, previousVersion: '1' });
    expect(await registryState(mlflow, name)).toEqual(state);
  });

  describe.each([
    { case: 'first promotion', before: [] as string[], syncStages: false },
    { case: 'second promotion, stages synced', before: ['manual__1'], syncStages: true },
  ])('a retry after a crash between any two writes ($case)', ({ before, syncStages }) => {
    it('ends in the state an uninterrupted promotion leaves', async () => {
      const mlflow = client(services.mlflowUri);
      const crashPoints: string[] = [];
      for (let k = 0; ; k++) {
        const name = unique('crash');
        for (const dagRun of before) await promoteRunModel(mlflow, request(name, champion, dagRun, T1));
        const crashing = crashingAfter(mlflow, k, WRITES);
        const stopped = await crashed(promoteRunModel(crashing.client, request(name, challenger, 'manual__2', T2, { syncStages })));
        if (stopped) crashPoints.push(crashing.writes.join(' → ') || '(none)');

        const retried = await promoteRunModel(mlflow, request(name, challenger, 'manual__2', T3, { syncStages }));
        const expectedVersion = before.length ? '2' : '1';
        const previous = before.length ? '1' : null;
        expect(retried).toMatchObject({ version: expectedVersion, previousVersion: previous, reused: crashing.writes.includes('createVersion') });

        const state = await registryState(mlflow, name);
        expect(Object.keys(state.versions).sort(), `no duplicate version after crash at ${k}`).toEqual(before.length ? ['1', '2'] : ['1']);
        expect(state.aliases).toEqual(before.length ? { production: '2', previous: '1' } : { production: '1' });
        const opened = state.versions[expectedVersion]!.periods;
        expect(opened).toHaveLength(1);
        expect(opened[0]!.to).toBeNull();
        expect([T2, T3]).toContain(opened[0]!.from);
        expect(retried.promotedAt).toBe(opened[0]!.from);
        expect(state.versions[expectedVersion]!.deployedAt).toBe(opened[0]!.from);
        if (before.length) {
          expect(state.versions['1']!.periods).toEqual([{ from: T1, to: opened[0]!.from, reason: expect.any(String) }]);
          expect(await productionAt(mlflow, name, plus(opened[0]!.from, -1))).toBe('1');
        }
        expect(await productionAt(mlflow, name, new Date(opened[0]!.from))).toBe(expectedVersion);
        if (syncStages) expect(await stageOf(name, expectedVersion)).toBe('Production');
        if (!stopped) break;
      }
      // every write of the promotion was a crash point: model, version, alias(es), stage, tags
      expect(crashPoints.length).toBeGreaterThanOrEqual(before.length ? 8 : 5);
    });
  });

  it('refuses bad requests before writing anything', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('refused');
    const { dag_run_id: _omitted, ...withoutDagRun } = audit('x');
    await expect(promoteRunModel(mlflow, { ...request(name, champion, 'x', T1), audit: withoutDagRun })).rejects.toThrow(/dag_run_id is required/);
    await expect(promoteRunModel(mlflow, { ...request(name, champion, 'x', T1), audit: { ...audit('x'), production_periods: '[]' } })).rejects.toThrow(BadDataError);
    await expect(promoteRunModel(mlflow, { ...request(name, champion, 'x', T1), audit: { ...audit('x'), note: 'x'.repeat(5001) } })).rejects.toThrow(/over 5000 bytes/);
    await expect(promoteRunModel(mlflow, request(name, incomplete, 'x', T1))).rejects.toThrow(/has no model\/metadata\.json/);
    expect(await mlflow.models.get(name)).toBeUndefined();
    expect(await productionVersion(mlflow, name)).toBeUndefined();
  });
});

describe('productionAt and restorePrevious', () => {
  it('answers "which version served at T" across promote → promote → restore → promote', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('timeline');
    expect(await productionAt(mlflow, name, new Date(T1))).toBeUndefined();
    expect(await productionVersion(mlflow, name)).toBeUndefined();

    await promoteRunModel(mlflow, request(name, champion, 'run-1', T1));
    await promoteRunModel(mlflow, request(name, challenger, 'run-2', T2));
    expect(await restorePrevious(mlflow, name, 'health check failed: p95 latency 2.1 s', at(T3))).toEqual({ restored: '1', failed: '2' });

    let state = await registryState(mlflow, name);
    expect(state.aliases).toEqual({ production: '1' });
    expect(state.versions['2']!.rollback).toEqual({ reason: 'health check failed: p95 latency 2.1 s', at: T3, restored: '1' });
    expect(state.versions['2']!.periods).toEqual([{ from: T2, to: T3, reason: expect.stringContaining('run-2') }]);
    expect(state.versions['1']!.periods).toEqual([
      { from: T1, to: T2, reason: expect.stringContaining('run-1') },
      { from: T3, to: null, reason: 'rollback of version 2: health check failed: p95 latency 2.1 s' },
    ]);
    expect(await productionVersion(mlflow, name)).toMatchObject({ version: { version: '1' }, promotedAt: new Date(T3) });

    const third = await promoteRunModel(mlflow, request(name, challenger, 'run-3', T4));
    expect(third).toMatchObject({ version: '3', previousVersion: '1' });
    const expectations: [Date, string | undefined][] = [
      [plus(T1, -1), undefined],
      [new Date(T1), '1'],
      [plus(T2, -1), '1'],
      [new Date(T2), '2'],
      [plus(T3, -1), '2'],
      [new Date(T3), '1'],
      [plus(T4, -1), '1'],
      [new Date(T4), '3'],
      [new Date('2099-01-01T00:00:00.000Z'), '3'],
    ];
    for (const [time, version] of expectations) expect(await productionAt(mlflow, name, time), time.toISOString()).toBe(version);
    state = await registryState(mlflow, name);
    expect(state.versions['1']!.periods.map((p) => p.to)).toEqual([T2, T4]);
  });

  it('fails without a previous version, and once a rollback consumed it', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('no-previous');
    await expect(restorePrevious(mlflow, name, 'x')).rejects.toThrow(PromotionError);
    await promoteRunModel(mlflow, request(name, champion, 'run-1', T1));
    const before = await registryState(mlflow, name);
    await expect(restorePrevious(mlflow, name, 'health check failed', at(T2))).rejects.toThrow(/has no 'previous' alias \(production is version 1\)/);
    expect(await registryState(mlflow, name)).toEqual(before);

    await promoteRunModel(mlflow, request(name, challenger, 'run-2', T2));
    await restorePrevious(mlflow, name, 'smoke test failed', at(T3));
    // repeating the completed rollback (an Airflow retry) answers the same; another one has nothing to go back to
    expect(await restorePrevious(mlflow, name, 'smoke test failed', at(T4))).toEqual({ restored: '1', failed: '2' });
    await expect(restorePrevious(mlflow, name, 'still failing', at(T4))).rejects.toThrow(PromotionError);
    expect((await registryState(mlflow, name)).versions['1']!.periods).toHaveLength(2);
  });

  it('a retry after a crash between any two rollback writes finishes the rollback', async () => {
    const mlflow = client(services.mlflowUri);
    let crashPoints = 0;
    for (let k = 0; ; k++) {
      const name = unique('rollback-crash');
      await promoteRunModel(mlflow, request(name, champion, 'run-1', T1));
      await promoteRunModel(mlflow, request(name, challenger, 'run-2', T2));
      const crashing = crashingAfter(mlflow, k, WRITES);
      const stopped = await crashed(restorePrevious(crashing.client, name, 'health check failed', at(T3)));
      if (stopped) crashPoints++;
      expect(await restorePrevious(mlflow, name, 'health check failed', at(T4))).toEqual({ restored: '1', failed: '2' });

      const state = await registryState(mlflow, name);
      expect(state.aliases).toEqual({ production: '1' });
      expect(state.versions['2']!.rollback).toMatchObject({ reason: 'health check failed', restored: '1' });
      const [first, second] = state.versions['1']!.periods;
      expect(first).toEqual({ from: T1, to: T2, reason: expect.any(String) });
      expect(second).toEqual({ from: expect.any(String), to: null, reason: 'rollback of version 2: health check failed' });
      expect([T3, T4]).toContain(second!.from);
      expect(state.versions['2']!.periods).toEqual([{ from: T2, to: second!.from, reason: expect.any(String) }]);
      expect(state.versions['1']!.deployedAt).toBe(second!.from);
      if (!stopped) break;
    }
    expect(crashPoints).toBeGreaterThanOrEqual(6); // rollback tag, alias, 3 audit tags, previous removed
  });

  it('refuses a rollback whose history would exceed the tag value limit, instead of truncating it', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('long-history');
    const longReason = `health check failed: ${'r'.repeat(2400)}`;
    await promoteRunModel(mlflow, request(name, champion, 'run-1', T1));
    await promoteRunModel(mlflow, request(name, challenger, 'run-2', T2));
    await restorePrevious(mlflow, name, longReason, at(T3));
    await promoteRunModel(mlflow, request(name, challenger, 'run-3', T4));
    const before = await registryState(mlflow, name);
    // version 1's periods would now hold two ~2.4 kB reasons: over 5000 bytes
    await expect(restorePrevious(mlflow, name, longReason, at('2030-05-01T00:00:00.000Z'))).rejects.toThrow(AuditTrailError);
    await expect(restorePrevious(mlflow, name, longReason, at('2030-05-01T00:00:00.000Z'))).rejects.toThrow(/production_periods would be \d+ bytes, over the 5000-byte/);
    expect(await registryState(mlflow, name)).toEqual(before);
    expect(before.versions['1']!.periods).toHaveLength(2);
  });
});

describe('deprecated stage sync', () => {
  it('is off by default; when on, production is in stage Production and the replaced version Archived', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('stages');
    await promoteRunModel(mlflow, request(name, champion, 'run-1', T1));
    expect(await stageOf(name, '1')).toBe('None');

    await promoteRunModel(mlflow, request(name, challenger, 'run-2', T2, { syncStages: true }));
    await promoteRunModel(mlflow, request(name, champion, 'run-3', T3, { syncStages: true }));
    expect([await stageOf(name, '1'), await stageOf(name, '2'), await stageOf(name, '3')]).toEqual(['None', 'Archived', 'Production']);

    await restorePrevious(mlflow, name, 'health check failed', at(T4), { syncStages: true });
    expect([await stageOf(name, '2'), await stageOf(name, '3')]).toEqual(['Production', 'Archived']);
    expect((await mlflow.models.get(name))!.aliases).toEqual({ production: '2' });
  });
});
