/**
 * Shared by the manual rollback task tests: a registered model in a real MLflow whose versions 1
 * and 2 were deployed (their image recorded, as deploy_to_kubernetes records it) with 2 in
 * production, and a kubeconfig naming an API server nobody listens on.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { type MlflowClient, promoteRunModel, recordDeployedImage } from '../../../src/registry/index.ts';
import type { RollToVersionResult } from '../../../src/k8s/index.ts';
import type { RollbackPlan } from '../../../src/pipeline/contract/rollback.ts';
import { closedPort } from '../notify/sinks.ts';
import { unique } from '../registry/helpers.ts';

export const ROLLBACK_DAG = 'health_predict_rollback';
export const DEPLOYED_TO = 'health-predict/health-predict-api';
export const imageOf = (version: string) => `127.0.0.1:5000/health-predict-api:v${version}@sha256:${version.repeat(64).slice(0, 64)}`;

/** Versions 1 and 2 promoted in turn and deployed (production 2, previous 1); MODEL_NAME names the model. */
export async function deployedModel(mlflow: MlflowClient, experimentId: string): Promise<string> {
  const modelName = unique('manual-rollback-model');
  for (const dagRun of ['manual__v1', 'manual__v2']) {
    const run = await mlflow.runs.create({ experimentId });
    for (const file of ['model.onnx', 'metadata.json']) await mlflow.artifacts.upload(run.info.runId, `model/${file}`, Buffer.from('{}'));
    const promoted = await promoteRunModel(mlflow, { modelName, runId: run.info.runId, artifactPath: 'model', audit: { dag_run_id: dagRun } });
    await recordDeployedImage(mlflow, modelName, promoted.version, { image: imageOf(promoted.version), deployedTo: DEPLOYED_TO });
  }
  vi.stubEnv('MODEL_NAME', modelName);
  return modelName;
}

/** A kubeconfig file (in a temp dir of its own) whose API server is a closed port on loopback. */
export async function unreachableKubeconfig(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hp-manual-rollback-kube-'));
  const server = `https://127.0.0.1:${await closedPort()}`;
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'gone', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'gone', user: { token: 'unused' } }],
      contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'gone', namespace: 'health-predict' } }],
      'current-context': 'gone',
    }),
  );
  return file;
}

/** The plan plan_rollback returns for production 2 → 1 on the default Deployment. */
export function planToOne(modelName: string, overrides: Partial<RollbackPlan> = {}): RollbackPlan {
  return {
    model_name: modelName,
    to_version: '1',
    to_previous_alias: false,
    from_version: '2',
    image: imageOf('1'),
    deployed_to: DEPLOYED_TO,
    running: { namespace: 'health-predict', deployment: 'health-predict-api', image: imageOf('2'), model_version: '2' },
    reason: 'v2 flags too many readmissions',
    dry_run: false,
    resumed: false,
    ...overrides,
  };
}

/** What roll_deployment_to_version returns after rolling the Deployment to version 1. */
export const ROLLED_TO_ONE: RollToVersionResult = {
  image: imageOf('1'),
  model_version: '1',
  revision: 3,
  previous: null,
  unchanged: false,
  rollout_s: 4.2,
  verification: { replica_set: 'health-predict-api-6d5f', ready_pods: ['health-predict-api-6d5f-x1'], endpoints: ['10.1.0.7'], health_status: 200, model_info: { name: 'm', version: '1' } },
  prediction: { status: 200, ms: 12.5 },
};
