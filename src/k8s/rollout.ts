/**
 * Follows a rollout by polling the Deployment and applying kubectl's decision
 * (rollout-status.ts) until it completes, hits ProgressDeadlineExceeded, or the timeout passes.
 * Each new status line is logged once, as `kubectl rollout status` prints it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment } from '@kubernetes/client-node';
import { type Cluster, call } from './client.ts';
import { RolloutFailedError } from './errors.ts';
import { rolloutStatus } from './rollout-status.ts';

export interface RolloutLog {
  info(obj: object, msg: string): void;
}

export interface WaitRolloutOptions {
  namespace: string;
  name: string;
  timeoutMs: number;
  pollIntervalMs?: number;
  /** kubectl's --revision: fail when the Deployment moves past it. */
  revision?: number;
  log?: RolloutLog;
}

export interface RolloutResult {
  message: string;
  seconds: number;
  deployment: V1Deployment;
}


/** Resolves when the rollout completed; throws RolloutFailedError on ProgressDeadlineExceeded, a changed revision or the timeout. */
export async function waitForRollout(cluster: Cluster, options: WaitRolloutOptions): Promise<RolloutResult> {
  const { namespace, name, timeoutMs } = options;
  const started = performance.now();
  const deadline = started + timeoutMs;
  let last = '';
  for (;;) {
    const deployment = await call(`reading deployment ${namespace}/${name}`, () => cluster.apps.readNamespacedDeployment({ name, namespace }));
    const state = rolloutStatus(deployment, options.revision ?? 0);
    const seconds = (performance.now() - started) / 1000;
    if (state.message !== last) {
      last = state.message;
      options.log?.info({ deployment: `${namespace}/${name}`, seconds: Number(seconds.toFixed(1)), replicas: deployment.status?.replicas ?? 0, updated: deployment.status?.updatedReplicas ?? 0, available: deployment.status?.availableReplicas ?? 0 }, state.message);
    }
    if (state.kind === 'complete') return { message: state.message, seconds, deployment };
    if (state.kind === 'failed') {
      throw new RolloutFailedError(`Rollout of ${namespace}/${name} failed after ${seconds.toFixed(1)} s: ${state.message}.`, state.reason === 'ProgressDeadlineExceeded' ? 'ProgressDeadlineExceeded' : 'Timeout');
    }
    if (performance.now() >= deadline) {
      throw new RolloutFailedError(`Rollout of ${namespace}/${name} did not complete within ${(timeoutMs / 1000).toFixed(0)} s; last status: ${state.message}`, 'Timeout');
    }
    await sleep(options.pollIntervalMs ?? 1000);
  }
}
