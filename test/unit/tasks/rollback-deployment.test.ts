/**
 * rollback-deployment without a cluster step to undo, against a real MLflow and real notify
 * receivers: the registry goes back to `previous` whatever happened on (or to) the cluster, and a
 * notification that does not get through is reported without failing a rollback that worked.
 * The undo on a real cluster is in kubernetes-deploy.test.ts.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MlflowClient } from '../../../src/registry/index.ts';
import { readRollback } from '../../../src/registry/index.ts';
import { PREVIOUS_ALIAS, PRODUCTION_ALIAS, promoteRunModel } from '../../../src/registry/promotion.ts';
import { EXIT_OK, EXIT_RETRYABLE } from '../../../src/runtime/index.ts';
import rollbackTask from '../../../src/tasks/rollback-deployment.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from '../registry/helpers.ts';
import { unreachableKubeconfig } from './manual-rollback-fixtures.ts';
import { useNotifyReceivers } from './notify-receivers.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const services = useServices(['mlflow']);
// Slack answers 403 (a refused webhook: permanent, so no retry delays); email gets through.
const receivers = useNotifyReceivers({ webhook: [{ status: 403, body: 'invalid_token' }] });
let mlflow: MlflowClient;
let experimentId: string;
let kubeconfig: string;

beforeAll(async () => {
  mlflow = client(services.mlflowUri);
  experimentId = (await mlflow.experiments.getOrCreate(unique('rollback-task'))).experimentId;
  // A kubeconfig naming an API server nobody listens on: a cluster that is configured but unreachable.
  kubeconfig = await unreachableKubeconfig();
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
  vi.stubEnv('KUBECONFIG', kubeconfig);
  vi.stubEnv('K8S_REQUEST_TIMEOUT_MS', '2000');
});
afterAll(() => rmSync(path.dirname(kubeconfig), { recursive: true, force: true }));

/** A model with versions 1 and 2, version 2 just promoted (production 2, previous 1). */
async function promotedTwice() {
  const modelName = unique('rollback-model');
  let promotion = { model_name: modelName, version: '', previous_version: null as string | null, promoted_at: '', reused: false, source: '' };
  for (const dagRun of ['manual__v1', 'manual__v2']) {
    const run = await mlflow.runs.create({ experimentId });
    for (const file of ['model.onnx', 'metadata.json']) await mlflow.artifacts.upload(run.info.runId, `model/${file}`, Buffer.from('{}'));
    const result = await promoteRunModel(mlflow, { modelName, runId: run.info.runId, artifactPath: 'model', audit: { dag_run_id: dagRun } });
    promotion = { model_name: modelName, version: result.version, previous_version: result.previousVersion, promoted_at: result.promotedAt, reused: result.reused, source: result.source };
  }
  vi.stubEnv('MODEL_NAME', modelName);
  return promotion;
}

const aliases = async (name: string) => (await mlflow.models.get(name))!.aliases;

describe('rollback-deployment without a cluster to undo', () => {
  it("deploy_target 'ecr': no cluster is asked, the registry goes back to previous, the failed version is tagged", async () => {
    const promotion = await promotedTwice();
    const result = await runAsAirflow(rollbackTask, 'rollback_deployment', { promotion, deploy_target: 'ecr', channels: ['airflow', 'email'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output!.cluster).toMatchObject({ action: 'not_needed', reason: expect.stringContaining("deploy_target is 'ecr'") });
    expect(result.output!.registry).toEqual({ restored: '1', failed: '2' });
    expect(await aliases(promotion.model_name)).toEqual({ [PRODUCTION_ALIAS]: '1' });
    expect(readRollback(await mlflow.models.getVersion(promotion.model_name, '2'))).toMatchObject({ restored: '1' });
    expect(result.output).toMatchObject({ notified: ['airflow', 'email'], not_notified: [] });
    expect(receivers.mail.messages[0]!.subject).toContain('production is v1 again');
  });

  it('a notification that is refused is reported, and the rollback that worked stays a success', async () => {
    const promotion = await promotedTwice();
    const result = await runAsAirflow(rollbackTask, 'rollback_deployment', { promotion, deploy_target: 'registry', channels: ['email', 'slack'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output!.registry).toEqual({ restored: '1', failed: '2' });
    expect(result.output!.notified).toEqual(['airflow', 'email']);
    expect(result.output!.not_notified).toEqual([{ channel: 'slack', detail: expect.stringContaining('403') }]);
    const reported = result.logs.find((l) => l.level === 'error' && String(l.msg).includes('notification did not reach every channel'));
    expect(reported, problemsOf(result)).toBeDefined();
    expect(receivers.webhook.requests).toHaveLength(1); // refused for good: not hammered
  });

  it('an unreachable cluster: the registry is restored anyway, then the task fails so Airflow retries the cluster step', async () => {
    const promotion = await promotedTwice();
    const result = await runAsAirflow(rollbackTask, 'rollback_deployment', { promotion, deploy_target: 'kubernetes', channels: ['airflow'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_RETRYABLE);
    expect(await aliases(promotion.model_name)).toEqual({ [PRODUCTION_ALIAS]: '1' });
    expect(result.logs.some((l) => l.level === 'error' && String(l.msg).includes('restoring the registry anyway'))).toBe(true);
    // the retry: the registry is already restored, the cluster still unreachable
    const retry = await runAsAirflow(rollbackTask, 'rollback_deployment', { promotion, deploy_target: 'kubernetes', channels: ['airflow'] }, { tryNumber: 2 });
    expect(retry.code).toBe(EXIT_RETRYABLE);
    expect(await aliases(promotion.model_name)).toEqual({ [PRODUCTION_ALIAS]: '1' });
    expect((await aliases(promotion.model_name))[PREVIOUS_ALIAS]).toBeUndefined();
  });
});
