/**
 * roll-deployment-to-version's glue: a dry run skips with its reason and asks no cluster; a
 * cluster that stopped answering after the plan fails the try for Airflow to retry. The roll on
 * the real local cluster runs in test/unit/k8s/roll-to-version.test.ts (the domain function) and
 * test/airflow/test_rollback_dag.py (this task in the DAG).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT_RETRYABLE, EXIT_SKIP } from '../../../src/runtime/index.ts';
import rollTask from '../../../src/tasks/roll-deployment-to-version.ts';
import { planToOne, unreachableKubeconfig } from './manual-rollback-fixtures.ts';
import { runAsAirflow } from './run-as-airflow.ts';

let kubeconfig: string;
beforeAll(async () => {
  kubeconfig = await unreachableKubeconfig();
  vi.stubEnv('KUBECONFIG', kubeconfig);
  vi.stubEnv('K8S_REQUEST_TIMEOUT_MS', '2000');
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
});

describe('roll-deployment-to-version', () => {
  it('a dry run skips with the reason, before any cluster is asked', async () => {
    const result = await runAsAirflow(rollTask, 'roll_deployment_to_version', { plan: planToOne('m', { dry_run: true }) });
    expect(result.code).toBe(EXIT_SKIP);
    expect(result.skipReason).toMatch(/^dry run: the Deployment would be rolled to model version 1/);
  });

  it('an API server that stopped answering after the plan fails the try, to be retried', async () => {
    const result = await runAsAirflow(rollTask, 'roll_deployment_to_version', { plan: planToOne('m') });
    expect(result.code).toBe(EXIT_RETRYABLE);
    expect(JSON.stringify(result.logs)).toMatch(/could not be reached while reading deployment health-predict\/health-predict-api/);
  });
});
