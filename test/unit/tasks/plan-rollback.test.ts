/**
 * plan-rollback against a real MLflow: each refusal (an empty reason, an unknown version, a
 * version never deployed, the version already in production, an unreachable cluster) fails
 * without retries and leaves the registry as it was; no named version means the `previous`
 * alias. The plan against the real local cluster runs in test/airflow/test_rollback_dag.py.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MlflowClient } from '../../../src/registry/index.ts';
import { EXIT_NON_RETRYABLE } from '../../../src/runtime/index.ts';
import planTask from '../../../src/tasks/plan-rollback.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from '../registry/helpers.ts';
import { deployedModel, unreachableKubeconfig } from './manual-rollback-fixtures.ts';
import { runAsAirflow } from './run-as-airflow.ts';

const services = useServices(['mlflow']);
let mlflow: MlflowClient;
let experimentId: string;
let kubeconfig: string;

beforeAll(async () => {
  mlflow = client(services.mlflowUri);
  experimentId = (await mlflow.experiments.getOrCreate(unique('plan-rollback'))).experimentId;
  kubeconfig = await unreachableKubeconfig();
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
  vi.stubEnv('KUBECONFIG', kubeconfig);
  vi.stubEnv('K8S_REQUEST_TIMEOUT_MS', '2000');
});
afterAll(() => rmSync(path.dirname(kubeconfig), { recursive: true, force: true }));

/** Aliases and tags of every version: what a refused rollback must leave as it was. */
async function registryState(modelName: string) {
  const versions = await mlflow.models.searchAllVersions({ filter: `name = '${modelName}'` });
  return { aliases: (await mlflow.models.get(modelName))!.aliases, tags: Object.fromEntries(versions.map((v) => [v.version, v.tags])) };
}

describe('plan-rollback refuses with nothing changed', () => {
  it.each([
    ['an empty reason', { to_version: '1', reason: '  ' }, /needs a reason/],
    ['an unknown version', { to_version: '999', reason: 'bad release' }, /has no such version \(its versions: 1, 2, 3\)/],
    ['a version never deployed', { to_version: '3', reason: 'bad release' }, /that version was never deployed/],
    ['the version already in production', { to_version: '2', reason: 'bad release' }, /already is 'production'/],
    ['an unreachable cluster', { to_version: '1', reason: 'bad release' }, /could not be reached while reading deployment .*Nothing was changed/],
  ])('%s', async (_, conf, message) => {
    const modelName = await deployedModel(mlflow, experimentId);
    const run = await mlflow.runs.create({ experimentId });
    const never = await mlflow.models.createVersion({ name: modelName, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    expect(never.version).toBe('3');
    const before = await registryState(modelName);
    const result = await runAsAirflow(planTask, 'plan_rollback', { dry_run: false, ...conf });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure?.error_message).toMatch(message);
    expect(await registryState(modelName)).toEqual(before);
  });

  it("no named version: the 'previous' alias is the target", async () => {
    await deployedModel(mlflow, experimentId);
    const result = await runAsAirflow(planTask, 'plan_rollback', { to_version: null, reason: 'bad release', dry_run: true });
    expect(result.logs.some((l) => l.msg === "no version named: rolling back to the 'previous' alias, version 1")).toBe(true);
    // the cluster check still refuses: the unreachable API server is asked before any plan is returned
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure?.error_message).toMatch(/back to version 1: The API server could not be reached/);
  });
});
