/** kubectl rollout undo's planning (rollback.go): which ReplicaSet, the skip rule, the JSON patch. */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { UndoError } from '../../../src/k8s/errors.ts';
import { planUndo, replicaSetForRevision } from '../../../src/k8s/undo.ts';

const template = (image: string, hash?: string) => ({
  metadata: { labels: { app: 'api', ...(hash ? { 'pod-template-hash': hash } : {}) }, annotations: { 'health-predict.io/model-version': image.split(':')[1]! } },
  spec: { containers: [{ name: 'api', image }] },
});

const rs = (name: string, revision: string, image: string, annotations: Record<string, string> = {}): V1ReplicaSet => ({
  metadata: { name, annotations: { 'deployment.kubernetes.io/revision': revision, 'deployment.kubernetes.io/desired-replicas': '2', 'deployment.kubernetes.io/max-replicas': '3', ...annotations } },
  spec: { selector: {}, template: template(image, `${name}-hash`) },
});

const deployment = (image: string, annotations: Record<string, string> = {}, paused = false): V1Deployment => ({
  metadata: { name: 'api', annotations: { 'deployment.kubernetes.io/revision': '3', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'health-predict.io/failure': '{"stage":"rollout"}', ...annotations } },
  spec: { selector: {}, template: template(image), paused },
});

const history = [rs('api-1', '1', 'api:1'), rs('api-3', '3', 'api:3', { 'health-predict.io/image': 'api:3' }), rs('api-2', '2', 'api:2', { 'health-predict.io/image': 'api:2' }), rs('bad', 'x', 'api:9')];

describe('replicaSetForRevision', () => {
  it('toRevision 0 picks the second-highest revision, whatever the list order', () => {
    expect(replicaSetForRevision(deployment('api:3'), history, 0).metadata?.name).toBe('api-2');
    expect(replicaSetForRevision(deployment('api:3'), [...history].reverse(), 0).metadata?.name).toBe('api-2');
  });

  it('a given revision picks its ReplicaSet, or fails as kubectl does', () => {
    expect(replicaSetForRevision(deployment('api:3'), history, 1).metadata?.name).toBe('api-1');
    expect(() => replicaSetForRevision(deployment('api:3'), history, 7)).toThrow(new UndoError('unable to find specified revision 7 in history of deployment "api"'));
    expect(() => replicaSetForRevision(deployment('api:3'), history, -1)).toThrow(UndoError);
  });

  it('fails with no history to go back to', () => {
    expect(() => replicaSetForRevision(deployment('api:1'), [history[0]!], 0)).toThrow('no rollout history found for deployment "api"');
  });
});

describe('planUndo', () => {
  it('patches the template without pod-template-hash and takes the annotations from the ReplicaSet, keeping the skipped ones from the Deployment', () => {
    const plan = planUndo(deployment('api:3'), history, 0);
    expect(plan.kind).toBe('patch');
    if (plan.kind !== 'patch') return;
    expect(plan.revision).toBe(2);
    expect(plan.replicaSet).toBe('api-2');
    expect(plan.patch).toEqual([
      { op: 'replace', path: '/spec/template', value: template('api:2') },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: {
          'deployment.kubernetes.io/revision': '3',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'health-predict.io/image': 'api:2',
        },
      },
    ]);
  });

  it('does not touch the ReplicaSet it read (the hash label stays there)', () => {
    planUndo(deployment('api:3'), history, 2);
    expect(history[2]!.spec?.template?.metadata?.labels?.['pod-template-hash']).toBe('api-2-hash');
  });

  it('skips when the current template already equals the revision, ignoring the hash label', () => {
    expect(planUndo(deployment('api:2'), history, 2)).toEqual({ kind: 'skip', revision: 2, message: 'skipped rollback (current template already matches revision 2)' });
  });

  it('refuses a paused deployment', () => {
    expect(() => planUndo(deployment('api:3', {}, true), history, 0)).toThrow("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/api' and try again");
  });
});
