/**
 * Puts a release on the cluster: namespace ensured, the pull secret checked, the current
 * release recorded (into the new Deployment's previous-revision annotation), then Deployment
 * and Service by server-side apply (field manager "health-predict", force: this pipeline owns them).
 */
import { PatchStrategy, setHeaderOptions, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { type Cluster, call, callOptional } from './client.ts';
import { K8sConfigError } from './errors.ts';
import { type Release, renderManifests } from './manifests.ts';
import { ANNOTATIONS, type FailureStage, type RevisionRecord, currentRecord, previousRecordOf, revisionOf, templateIs } from './revision.ts';

export const FIELD_MANAGER = 'health-predict';

export interface ApplyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AppliedRelease {
  deployment: V1Deployment;
  service: V1Service;
  /** What ran before (null on the first deploy). */
  previous: RevisionRecord | null;
  /** The Deployment's generation after the apply (the rollout is observed when status catches up). */
  generation: number;
  /** True when the template already was this release (a retried task): nothing new rolls out. */
  unchanged: boolean;
}

export async function ensureNamespace(cluster: Cluster, namespace: string, log: ApplyLog): Promise<void> {
  const existing = await callOptional(`reading namespace ${namespace}`, () => cluster.core.readNamespace({ name: namespace }));
  if (existing) return;
  await call(`creating namespace ${namespace}`, () =>
    cluster.core.patchNamespace(
      { name: namespace, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } } }, fieldManager: FIELD_MANAGER, force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ),
  );
  log.info({ namespace }, `created namespace ${namespace}`);
}

export async function applyRelease(cluster: Cluster, options: { manifestDir: string; release: Omit<Release, 'previous'>; log: ApplyLog }): Promise<AppliedRelease> {
  const { release, log } = options;
  const { namespace } = release;
  await ensureNamespace(cluster, namespace, log);
  if (release.imagePullSecret) {
    const secret = await callOptional(`reading secret ${namespace}/${release.imagePullSecret}`, () => cluster.core.readNamespacedSecret({ name: release.imagePullSecret!, namespace }));
    if (!secret) throw new K8sConfigError(`K8S_IMAGE_PULL_SECRET names secret '${release.imagePullSecret}', which does not exist in namespace ${namespace}. Create it (kubectl create secret docker-registry …) or unset the variable.`);
  }
  const current = await callOptional(`reading deployment ${namespace}/${release.deployment}`, () => cluster.apps.readNamespacedDeployment({ name: release.deployment, namespace }));
  const candidate = { image: release.image, modelVersion: release.model.version };
  // A retry of this task finds its own release in place: keep the record of what ran before it.
  const unchanged = current !== undefined && templateIs(current, candidate);
  const previous = current ? (unchanged ? (previousRecordOf(current) ?? null) : currentRecord(current)) : null;
  if (previous) log.info({ previous }, `recorded the running release: revision ${previous.revision}, image ${previous.image}, model version ${previous.model_version ?? 'unknown'}`);
  else log.info({ deployment: `${namespace}/${release.deployment}` }, 'no Deployment yet: this is the first release');

  const manifests = renderManifests(options.manifestDir, { ...release, ...(previous ? { previous } : {}) });
  const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const deployment = await call(`applying deployment ${namespace}/${release.deployment}`, () =>
    cluster.apps.patchNamespacedDeployment({ name: release.deployment, namespace, body: manifests.deployment, fieldManager: FIELD_MANAGER, force: true }, ssa),
  );
  const service = await call(`applying service ${namespace}/${release.service}`, () =>
    cluster.core.patchNamespacedService({ name: release.service, namespace, body: manifests.service, fieldManager: FIELD_MANAGER, force: true }, ssa),
  );
  log.info(
    { deployment: `${namespace}/${release.deployment}`, generation: deployment.metadata?.generation, image: release.image, model_version: release.model.version, unchanged },
    `applied deployment ${release.deployment} and service ${release.service} (server-side apply, field manager ${FIELD_MANAGER})`,
  );
  return { deployment, service, previous, generation: deployment.metadata?.generation ?? 0, unchanged };
}

/** Marks the Deployment with the failure a task detected (merge patch of one annotation), for the rollback task. */
export async function recordFailure(cluster: Cluster, namespace: string, name: string, failure: { stage: FailureStage; reason: string; image: string; modelVersion: string | null; at?: Date }): Promise<void> {
  const value = JSON.stringify({ stage: failure.stage, reason: failure.reason.slice(0, 2000), at: (failure.at ?? new Date()).toISOString(), image: failure.image, model_version: failure.modelVersion });
  await call(`recording the failure on deployment ${namespace}/${name}`, () =>
    cluster.apps.patchNamespacedDeployment({ name, namespace, body: { metadata: { annotations: { [ANNOTATIONS.failure]: value } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
  );
}

export { revisionOf };
