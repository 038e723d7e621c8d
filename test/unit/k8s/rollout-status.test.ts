/** kubectl's rollout status decision (rollout_status.go), case by case. */
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { rolloutStatus } from '../../../src/k8s/rollout-status.ts';

function deployment(status: Partial<NonNullable<V1Deployment['status']>>, spec: { replicas?: number; generation?: number; revision?: string } = {}): V1Deployment {
  return {
    metadata: { name: 'api', generation: spec.generation ?? 2, annotations: spec.revision ? { 'deployment.kubernetes.io/revision': spec.revision } : {} },
    spec: { replicas: spec.replicas ?? 2, selector: {}, template: {} },
    status: { observedGeneration: 2, ...status },
  };
}

describe('rolloutStatus', () => {
  it('waits until the controller observed the new generation', () => {
    expect(rolloutStatus(deployment({ observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }, { generation: 2 }))).toEqual({
      kind: 'waiting',
      message: 'Waiting for deployment spec update to be observed...',
    });
  });

  it('fails on ProgressDeadlineExceeded, before looking at replica counts', () => {
    const state = rolloutStatus(deployment({ updatedReplicas: 2, replicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
    expect(state).toEqual({ kind: 'failed', reason: 'ProgressDeadlineExceeded', message: 'deployment "api" exceeded its progress deadline' });
  });

  it('ignores the deadline condition while the new generation is unobserved (as kubectl does)', () => {
    const state = rolloutStatus(deployment({ observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
    expect(state.kind).toBe('waiting');
  });

  it('reports, in kubectl order, updated < desired, then old replicas pending, then available < updated', () => {
    expect(rolloutStatus(deployment({ updatedReplicas: 1, replicas: 3, availableReplicas: 2 })).message).toBe('Waiting for deployment "api" rollout to finish: 1 out of 2 new replicas have been updated...');
    expect(rolloutStatus(deployment({ updatedReplicas: 2, replicas: 3, availableReplicas: 2 })).message).toBe('Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...');
    expect(rolloutStatus(deployment({ updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).message).toBe('Waiting for deployment "api" rollout to finish: 1 of 2 updated replicas are available...');
  });

  it('is complete when every count agrees, even with a Progressing condition of another reason', () => {
    const state = rolloutStatus(deployment({ updatedReplicas: 2, replicas: 2, availableReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] }));
    expect(state).toEqual({ kind: 'complete', message: 'deployment "api" successfully rolled out' });
  });

  it('treats missing status counts as zero', () => {
    expect(rolloutStatus({ metadata: { name: 'api', generation: 1 }, spec: { replicas: 1, selector: {}, template: {} }, status: { observedGeneration: 1 } }).message).toContain('0 out of 1 new replicas');
  });

  it('with --revision, fails when the deployment moved on to another revision', () => {
    const d = deployment({ updatedReplicas: 2, replicas: 2, availableReplicas: 2 }, { revision: '4' });
    expect(rolloutStatus(d, 4).kind).toBe('complete');
    expect(rolloutStatus(d, 3)).toEqual({ kind: 'failed', reason: 'RevisionChanged', message: 'desired revision (3) is different from the running revision (4)' });
  });
});
