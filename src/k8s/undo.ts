/**
 * `kubectl rollout undo` for a Deployment, as k8s.io/kubectl/pkg/polymorphichelpers/rollback.go
 * does it: find the ReplicaSet of the wanted revision (toRevision 0: the second-highest
 * revision among the ReplicaSets the Deployment controls), refuse a paused Deployment, skip when
 * the current template already equals that ReplicaSet's (ignoring pod-template-hash), else one
 * JSON patch replacing spec.template (hash label removed) and metadata.annotations (the
 * Deployment's own revision/apply annotations kept, every other one taken from the ReplicaSet).
 * The planning is pure; undoDeployment() fetches and patches.
 */
import { PatchStrategy, setHeaderOptions, type V1Deployment, type V1PodTemplateSpec, type V1ReplicaSet } from '@kubernetes/client-node';
import { type Cluster, call } from './client.ts';
import { UndoError } from './errors.ts';
import { revisionOf } from './revision.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Annotations kubectl keeps from the Deployment instead of copying them from the ReplicaSet. */
export const ANNOTATIONS_TO_SKIP: ReadonlySet<string> = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export type JsonPatch = { op: 'replace'; path: string; value: unknown }[];

export type UndoPlan =
  | { kind: 'skip'; revision: number; message: string }
  | { kind: 'patch'; revision: number; replicaSet: string; patch: JsonPatch; template: V1PodTemplateSpec };

/** deploymentRevision(): the ReplicaSet holding `toRevision`, or (0) the one before the newest. */
export function replicaSetForRevision(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[], toRevision: number): V1ReplicaSet {
  if (toRevision < 0) throw new UndoError(`unable to find specified revision ${toRevision} in history`);
  let latest: V1ReplicaSet | undefined;
  let latestRevision = -1;
  let previous: V1ReplicaSet | undefined;
  let previousRevision = -1;
  for (const rs of replicaSets) {
    const raw = rs.metadata?.annotations?.['deployment.kubernetes.io/revision'];
    if (raw === undefined || !/^\d+$/.test(raw)) continue;
    const v = Number(raw);
    if (toRevision === 0) {
      if (latestRevision < v) {
        previousRevision = latestRevision;
        previous = latest;
        latestRevision = v;
        latest = rs;
      } else if (previousRevision < v) {
        previousRevision = v;
        previous = rs;
      }
    } else if (toRevision === v) {
      return rs;
    }
  }
  if (toRevision > 0) throw new UndoError(`unable to find specified revision ${toRevision} in history of deployment "${deployment.metadata?.name}"`);
  if (!previous) throw new UndoError(`no rollout history found for deployment "${deployment.metadata?.name}"`);
  return previous;
}

const withoutHash = (template: V1PodTemplateSpec | undefined): V1PodTemplateSpec => {
  const copy = structuredClone(template ?? {}) as V1PodTemplateSpec;
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
};

/** apiequality.Semantic.DeepEqual, close enough for templates that came from the same API server: key order and absent-vs-undefined ignored. */
function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && v !== null)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export const equalIgnoreHash = (a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined) =>
  JSON.stringify(canonical(withoutHash(a))) === JSON.stringify(canonical(withoutHash(b)));

/** The whole of DeploymentRollbacker.Rollback after fetching: what to patch, or why nothing. */
export function planUndo(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[], toRevision = 0): UndoPlan {
  const name = deployment.metadata?.name ?? '';
  const rs = replicaSetForRevision(deployment, replicaSets, toRevision);
  const revision = revisionOf(rs);
  if (deployment.spec?.paused) {
    throw new UndoError(`you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`);
  }
  if (equalIgnoreHash(rs.spec?.template, deployment.spec?.template)) {
    return { kind: 'skip', revision, message: `skipped rollback (current template already matches revision ${toRevision || revision})` };
  }
  const template = withoutHash(rs.spec?.template);
  const annotations: Record<string, string> = {};
  for (const key of ANNOTATIONS_TO_SKIP) {
    const value = deployment.metadata?.annotations?.[key];
    if (value !== undefined) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(rs.metadata?.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.has(key)) annotations[key] = value;
  }
  return {
    kind: 'patch',
    revision,
    replicaSet: rs.metadata?.name ?? '',
    template,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}

/** deploymentutil.GetAllReplicaSets: the ReplicaSets whose controller is this Deployment. */
export async function ownedReplicaSets(cluster: Cluster, deployment: V1Deployment): Promise<V1ReplicaSet[]> {
  const namespace = deployment.metadata!.namespace!;
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const list = await call(`listing the ReplicaSets of deployment ${namespace}/${deployment.metadata?.name}`, () =>
    cluster.apps.listNamespacedReplicaSet({ namespace, ...(selector ? { labelSelector: selector } : {}) }),
  );
  return list.items.filter((rs) => rs.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === deployment.metadata?.uid));
}

export async function undoDeployment(cluster: Cluster, namespace: string, name: string, toRevision = 0): Promise<UndoPlan> {
  const deployment = await call(`reading deployment ${namespace}/${name}`, () => cluster.apps.readNamespacedDeployment({ name, namespace }));
  const plan = planUndo(deployment, await ownedReplicaSets(cluster, deployment), toRevision);
  if (plan.kind === 'patch') {
    await call(`patching deployment ${namespace}/${name} back to revision ${plan.revision}`, () =>
      cluster.apps.patchNamespacedDeployment({ name, namespace, body: plan.patch }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
    );
  }
  return plan;
}
