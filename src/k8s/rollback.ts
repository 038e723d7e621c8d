/**
 * Rolls a failed release back on the cluster: only when the Deployment's template IS the
 * failed candidate (image and model version) — a healthy deployment is never undone because
 * some earlier step failed — to the revision recorded before the candidate was applied
 * (kubectl rollout undo --to-revision), then waits for the rollout and verifies that the old
 * model version is what the Service serves. Times are measured from failure detection (the
 * failure record a task left on the Deployment, else the start of the rollback).
 */
import { z } from 'zod';
import { type Cluster, callOptional } from './client.ts';
import { UndoError } from './errors.ts';
import { waitForRollout, type RolloutLog } from './rollout.ts';
import { failureRecordOf, imageOf, modelVersionOf, previousRecordOf, revisionOf, templateIs } from './revision.ts';
import { undoDeployment, ownedReplicaSets } from './undo.ts';
import { verifyDeployment, verifyResultSchema } from './verify.ts';

export interface RollbackTarget {
  namespace: string;
  deployment: string;
  service: string;
  modelName: string;
  /** The failed release: its model version, and its image when known (the push may not have happened). */
  candidate: { image?: string; modelVersion: string };
  rolloutTimeoutMs: number;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  log: RolloutLog & { warn(obj: object, msg: string): void };
  now?: () => Date;
}

export const clusterRollbackSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('not_needed'), reason: z.string(), detected_at: z.string() }),
  z.object({
    action: z.literal('rolled_back'),
    from_revision: z.number().int(),
    to_revision: z.number().int(),
    restored_image: z.string(),
    restored_model_version: z.string(),
    failure_stage: z.string().nullable(),
    failure_reason: z.string().nullable(),
    detected_at: z.string(),
    restored_at: z.string(),
    /** Failure detection → old version verified serving. */
    detection_to_restored_s: z.number(),
    /** Undo patch → rollout complete. */
    undo_rollout_s: z.number(),
    verification: verifyResultSchema,
  }),
]);
export type ClusterRollback = z.infer<typeof clusterRollbackSchema>;

export async function rollbackCluster(cluster: Cluster, target: RollbackTarget): Promise<ClusterRollback> {
  const now = target.now ?? (() => new Date());
  const startedAt = now();
  const { namespace, deployment: name, log } = target;
  const where = `${namespace}/${name}`;
  const current = await callOptional(`reading deployment ${where}`, () => cluster.apps.readNamespacedDeployment({ name, namespace }));
  if (!current) return { action: 'not_needed', reason: `deployment ${where} does not exist: the candidate never reached the cluster`, detected_at: startedAt.toISOString() };
  const failure = failureRecordOf(current);
  const detectedAt = failure && failure.model_version === target.candidate.modelVersion ? new Date(failure.at) : startedAt;
  if (!templateIs(current, target.candidate)) {
    return {
      action: 'not_needed',
      reason: `deployment ${where} runs image ${imageOf(current) ?? '?'} (model version ${modelVersionOf(current) ?? '?'}), not the failed candidate (model version ${target.candidate.modelVersion}${target.candidate.image ? `, image ${target.candidate.image}` : ''}); it is left as it is`,
      detected_at: detectedAt.toISOString(),
    };
  }
  const previous = previousRecordOf(current);
  if (!previous || previous.revision === 0) {
    throw new UndoError(`Deployment ${where} has no recorded previous revision: the failed candidate was its first release, so there is nothing to roll back to. Scale it down or deploy a known-good image by hand.`);
  }
  const fromRevision = revisionOf(current);
  const replicaSets = await ownedReplicaSets(cluster, current);
  // The recorded revision is the target; kubectl's default (the second-newest) only if its ReplicaSet was garbage-collected.
  const hasRecorded = replicaSets.some((rs) => revisionOf(rs) === previous.revision);
  if (!hasRecorded) log.warn({ previous }, `revision ${previous.revision} is no longer in the history of ${where}; undoing to the previous revision as kubectl does by default`);
  const undoStarted = performance.now();
  const plan = await undoDeployment(cluster, namespace, name, hasRecorded ? previous.revision : 0);
  log.info({ deployment: where, plan: plan.kind, to_revision: plan.revision }, plan.kind === 'patch' ? `deployment.apps/${name} rolled back (to revision ${plan.revision}, ReplicaSet ${plan.replicaSet})` : plan.message);
  const rollout = await waitForRollout(cluster, { namespace, name, timeoutMs: target.rolloutTimeoutMs, pollIntervalMs: target.pollIntervalMs, log });
  const undoRolloutS = (performance.now() - undoStarted) / 1000;
  const restoredVersion = modelVersionOf(rollout.deployment);
  const restoredImage = imageOf(rollout.deployment) ?? '';
  if (restoredVersion === null) throw new UndoError(`After the undo, deployment ${where} carries no model version annotation; cannot verify what it serves.`);
  if (previous.model_version !== null && restoredVersion !== previous.model_version) {
    log.warn({ restored: restoredVersion, recorded: previous.model_version }, 'the restored template serves another model version than the one recorded before the candidate');
  }
  const verification = await verifyDeployment(cluster, {
    namespace,
    deployment: name,
    service: target.service,
    expected: { modelName: target.modelName, modelVersion: restoredVersion },
    requestTimeoutMs: target.requestTimeoutMs,
    pollIntervalMs: target.pollIntervalMs,
  });
  const restoredAt = now();
  return {
    action: 'rolled_back',
    from_revision: fromRevision,
    to_revision: revisionOf(rollout.deployment),
    restored_image: restoredImage,
    restored_model_version: restoredVersion,
    failure_stage: failure?.stage ?? null,
    failure_reason: failure?.reason ?? null,
    detected_at: detectedAt.toISOString(),
    restored_at: restoredAt.toISOString(),
    detection_to_restored_s: Number(((restoredAt.getTime() - detectedAt.getTime()) / 1000).toFixed(2)),
    undo_rollout_s: Number(undoRolloutS.toFixed(2)),
    verification,
  };
}
