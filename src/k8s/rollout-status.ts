/**
 * kubectl's rollout status decision for a Deployment, line for line
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer.Status):
 * observedGeneration must have caught up with generation; a Progressing condition with reason
 * ProgressDeadlineExceeded is fatal; then updated < desired, old replicas pending termination,
 * available < updated, in that order. Pure: the caller fetches and waits.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { revisionOf } from './revision.ts';

export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';

export type RolloutState =
  | { kind: 'waiting'; message: string }
  | { kind: 'complete'; message: string }
  | { kind: 'failed'; reason: typeof TIMED_OUT_REASON | 'RevisionChanged'; message: string };

/** `revision` > 0: kubectl's --revision (fail when the Deployment moved on to another revision). */
export function rolloutStatus(deployment: V1Deployment, revision = 0): RolloutState {
  const name = deployment.metadata?.name ?? '';
  if (revision > 0) {
    const current = revisionOf(deployment);
    if (current !== revision) return { kind: 'failed', reason: 'RevisionChanged', message: `desired revision (${revision}) is different from the running revision (${current})` };
  }
  const status = deployment.status ?? {};
  if ((deployment.metadata?.generation ?? 0) <= (status.observedGeneration ?? 0)) {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === TIMED_OUT_REASON) return { kind: 'failed', reason: TIMED_OUT_REASON, message: `deployment "${name}" exceeded its progress deadline` };
    const desired = deployment.spec?.replicas;
    const updated = status.updatedReplicas ?? 0;
    const replicas = status.replicas ?? 0;
    const available = status.availableReplicas ?? 0;
    if (desired !== undefined && updated < desired) {
      return { kind: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...` };
    }
    if (replicas > updated) {
      return { kind: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...` };
    }
    if (available < updated) {
      return { kind: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
    }
    return { kind: 'complete', message: `deployment "${name}" successfully rolled out` };
  }
  return { kind: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
}
