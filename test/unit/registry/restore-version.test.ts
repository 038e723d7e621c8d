/**
 * restoreVersion (a manual rollback to any deployed version) against a real MLflow server:
 * aliases, the rollback record the history command reads, production periods, refusals that
 * write nothing, and a retry after a crash between any two writes (a client whose registry
 * writes throw from the (k+1)-th on, then the normal client retries).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IMAGE_TAG,
  type MlflowClient,
  PromotionError,
  defaultRestoreTarget,
  type Run,
  planRestoreVersion,
  productionAt,
  promoteRunModel,
  readPeriods,
  readRollback,
  recordDeployedImage,
  restoreVersion,
} from '../../../src/registry/index.ts';
import { buildTimeline } from '../../../src/registry/timeline.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { useServices } from '../../harness/services.ts';
import { Crash, client, crashed, crashingAfter, unique } from './helpers.ts';

const services = useServices(['mlflow']);
let run: Run;

const T1 = '2030-01-01T00:00:00.000Z';
const T2 = '2030-02-01T00:00:00.000Z';
const T3 = '2030-03-01T00:00:00.000Z';
const T4 = '2030-04-01T00:00:00.000Z';
const T5 = '2030-05-01T00:00:00.000Z';
const at = (iso: string) => () => new Date(iso);
const imageOf = (version: string) => `registry.local/health-predict-api:v${version}@sha256:${version.repeat(64).slice(0, 64)}`;
const DAG_ID = 'health_predict_rollback';

beforeAll(async () => {
  const mlflow = client(services.mlflowUri);
  const { experimentId } = await mlflow.experiments.getOrCreate(unique('restore-version'));
  run = await mlflow.runs.create({ experimentId });
  for (const file of ['model.onnx', 'metadata.json']) await mlflow.artifacts.upload(run.info.runId, `model/${file}`, file === 'metadata.json' ? '{"threshold":0.5}' : Buffer.from([1, 2, 3]));
});

/** Versions 1..n promoted at T1, T2, …; those in `deployed` recorded with an image as deploy_to_kubernetes does. */
async function model(mlflow: MlflowClient, prefix: string, count: number, deployed: string[]): Promise<string> {
  const name = unique(prefix);
  const times = [T1, T2, T3];
  for (let i = 1; i <= count; i++) {
    await promoteRunModel(mlflow, { modelName: name, runId: run.info.runId, artifactPath: 'model', audit: { dag_id: 'health_predict_continuous_improvement', dag_run_id: `run-${i}` }, now: at(times[i - 1]!), wait: { timeoutMs: 30_000, intervalMs: 100 } });
    if (deployed.includes(String(i))) await recordDeployedImage(mlflow, name, String(i), { image: imageOf(String(i)), deployedTo: 'hp/hp-api' });
  }
  return name;
}

async function registryState(mlflow: MlflowClient, name: string) {
  const registered = await mlflow.models.get(name);
  const versions = await mlflow.models.searchAllVersions({ filter: `name = '${name}'` });
  return {
    aliases: registered?.aliases,
    versions: Object.fromEntries(versions.map((v) => [v.version, { periods: readPeriods(v), deployedAt: v.tags['health_predict.deployed_at'], rollback: readRollback(v), image: v.tags[IMAGE_TAG] }])),
  };
}

const manual = (dagRunId: string, extra: { now?: () => Date; reason?: string } = {}) => ({ reason: 'v3 misroutes diabetic patients', trigger: 'manual' as const, dagId: DAG_ID, dagRunId, ...extra });

const WRITES = ['setVersionTag', 'deleteVersionTag', 'setAlias', 'deleteAlias', 'transitionStage'] as const;

describe('restoreVersion', () => {
  it('moves production to a deployed version two steps back, previous to the replaced one, and writes the audit trail; a repeat answers the same', async () => {
    const mlflow = client(services.mlflowUri);
    const name = await model(mlflow, 'restore', 3, ['1', '2', '3']);
    const untouched = await registryState(mlflow, name);
    expect(await defaultRestoreTarget(mlflow, name)).toBe('2'); // without to_version: the 'previous' alias
    expect(await planRestoreVersion(mlflow, name, '1', manual('manual__r1', { now: at(T4) }))).toEqual({ modelName: name, restored: '1', replaced: '3', image: imageOf('1'), deployedTo: 'hp/hp-api', resumed: false });
    expect(await registryState(mlflow, name)).toEqual(untouched); // the plan (a dry run) writes nothing
    const result = await restoreVersion(mlflow, name, '1', manual('manual__r1', { now: at(T4) }));
    expect(result).toEqual({ restored: '1', replaced: '3', image: imageOf('1'), at: T4 });

    const state = await registryState(mlflow, name);
    expect(state.aliases).toEqual({ production: '1', previous: '3' });
    expect(state.versions['3']!.rollback).toEqual({ reason: 'v3 misroutes diabetic patients', at: T4, restored: '1', trigger: 'manual', dag_id: DAG_ID, dag_run_id: 'manual__r1' });
    expect(state.versions['3']!.periods).toEqual([{ from: T3, to: T4, reason: expect.any(String) }]);
    expect(state.versions['1']!.periods).toEqual([
      { from: T1, to: T2, reason: expect.any(String) },
      { from: T4, to: null, reason: 'rollback of version 3: v3 misroutes diabetic patients' },
    ]);
    expect(state.versions['1']!.deployedAt).toBe(T4);
    expect(state.versions['2']!.rollback).toBeUndefined();
    expect(await productionAt(mlflow, name, new Date(T5))).toBe('1');
    expect(await productionAt(mlflow, name, new Date('2030-03-15T00:00:00.000Z'))).toBe('3');

    // an Airflow retry of the completed rollback changes nothing
    expect(await restoreVersion(mlflow, name, '1', manual('manual__r1', { now: at(T5) }))).toEqual(result);
    expect(await registryState(mlflow, name)).toEqual(state);

    // the history command reads it as one manual rollback by this dag run
    const versions = await mlflow.models.searchAllVersions({ filter: `name = '${name}'` });
    const rollbacks = buildTimeline({ trackingUri: services.mlflowUri, versions, runs: [], runExperiments: {}, now: new Date(T5) }).filter((e) => e.kind === 'rollback');
    expect(rollbacks).toEqual([expect.objectContaining({ kind: 'rollback', at: T4, version: '3', restored_version: '1', mode: 'manual', trigger: 'manual', dag_id: DAG_ID, dag_run_id: 'manual__r1', reason: 'v3 misroutes diabetic patients' })]);
  });

  it('refuses an unknown model, an unknown version, a version never deployed, the production version and a missing reason, writing nothing', async () => {
    const mlflow = client(services.mlflowUri);
    const name = await model(mlflow, 'restore-refused', 3, ['2', '3']);
    const before = await registryState(mlflow, name);
    await expect(restoreVersion(mlflow, unique('no-such-model'), '1', manual('m1'))).rejects.toThrow(/no such registered model/);
    await expect(restoreVersion(mlflow, name, '7', manual('m2'))).rejects.toThrow(/has no such version \(its versions: 1, 2, 3\)/);
    await expect(restoreVersion(mlflow, name, '1', manual('m3'))).rejects.toThrow(/version 1: that version was never deployed/);
    await expect(restoreVersion(mlflow, name, '1', manual('m3'))).rejects.toThrow(PromotionError);
    await expect(restoreVersion(mlflow, name, '3', manual('m4'))).rejects.toThrow(/version 3 already is 'production'/);
    await expect(restoreVersion(mlflow, name, '2', manual('m5', { reason: '  ' }))).rejects.toThrow(BadDataError);
    expect(await registryState(mlflow, name)).toEqual(before);
    expect(before.aliases).toEqual({ production: '3', previous: '2' });
    await expect(defaultRestoreTarget(mlflow, unique('no-such-model'))).rejects.toThrow(/no such registered model/);
    const first = await model(mlflow, 'restore-first', 1, ['1']);
    await expect(defaultRestoreTarget(mlflow, first)).rejects.toThrow(/has no 'previous' alias \(production is version 1\); name the version/);
  });

  it('a retry after a crash between any two writes finishes the rollback with the record time as the stint start', async () => {
    const mlflow = client(services.mlflowUri);
    let crashPoints = 0;
    for (let k = 0; ; k++) {
      const name = await model(mlflow, 'restore-crash', 3, ['1', '2', '3']);
      const crashing = crashingAfter(mlflow, k, WRITES);
      const stopped = await crashed(restoreVersion(crashing.client, name, '1', manual('manual__crash', { now: at(T4) })));
      if (stopped) crashPoints++;
      const retried = await restoreVersion(mlflow, name, '1', manual('manual__crash', { now: at(T5) }));
      // before the record is written nothing marks the attempt: the retry's own time starts the stint
      const from = stopped && k === 0 ? T5 : T4;
      expect(retried).toEqual({ restored: '1', replaced: '3', image: imageOf('1'), at: from });

      const state = await registryState(mlflow, name);
      expect(state.aliases).toEqual({ production: '1', previous: '3' });
      expect(state.versions['3']!.rollback).toMatchObject({ at: from, restored: '1', trigger: 'manual', dag_run_id: 'manual__crash' });
      expect(state.versions['3']!.periods).toEqual([{ from: T3, to: from, reason: expect.any(String) }]);
      expect(state.versions['1']!.periods.at(-1)).toEqual({ from, to: null, reason: 'rollback of version 3: v3 misroutes diabetic patients' });
      expect(state.versions['1']!.deployedAt).toBe(from);
      expect(state.versions['2']!.periods.every((p) => p.to !== null)).toBe(true);
      if (!stopped) break;
    }
    expect(crashPoints).toBeGreaterThanOrEqual(6); // record, previous, production, 3 audit tags
  });

  it('a version promoted since the interrupted rollback stops its retry instead of overriding it', async () => {
    const mlflow = client(services.mlflowUri);
    const name = await model(mlflow, 'restore-moved', 2, ['1', '2']);
    const crashing = crashingAfter(mlflow, 1, WRITES); // the record is written, no alias moved
    await expect(restoreVersion(crashing.client, name, '1', manual('manual__moved', { now: at(T4) }))).rejects.toThrow(Crash);
    await promoteRunModel(mlflow, { modelName: name, runId: run.info.runId, artifactPath: 'model', audit: { dag_run_id: 'run-3' }, now: at(T5), wait: { timeoutMs: 30_000, intervalMs: 100 } });
    const before = await registryState(mlflow, name);
    await expect(restoreVersion(mlflow, name, '1', manual('manual__moved'))).rejects.toThrow(/'production' has since moved to version 3/);
    expect(await registryState(mlflow, name)).toEqual(before);
  });
});
