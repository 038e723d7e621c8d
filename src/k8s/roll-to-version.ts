/**
 * Rolls the Deployment to the image of any model version deployed before (not `kubectl rollout
 * undo`, which only knows the revisions still in the history): the same server-side apply as a
 * deploy, so the annotations and labels name the model version it now serves and record what
 * ran before; then the rollout is followed and the Service verified (endpoints, /health,
 * /model-info version) and one /predict answered by that version.
 *
 * The Deployment is read first: an unreachable cluster, or a Deployment that does not exist,
 * is refused before anything changes. Repeating a completed roll finds its release in place.
 */
import { z } from 'zod';
import { applyRelease, type ApplyLog } from './apply.ts';
import { type Cluster, callOptional } from './client.ts';
import { K8sNotFoundError, VerificationError } from './errors.ts';
import { checkPrediction } from './health-check.ts';
import type { Release } from './manifests.ts';
import { probeRecords } from './probe-records.ts';
import { revisionOf, revisionRecordSchema, templateIs } from './revision.ts';
import { waitForRollout } from './rollout.ts';
import { verifyDeployment, verifyResultSchema } from './verify.ts';

export interface RollToVersionTarget {
  namespace: string;
  deployment: string;
  service: string;
  /** The version's recorded image (pinned by digest). */
  image: string;
  modelName: string;
  modelVersion: string;
  manifestDir: string;
  replicas: number;
  progressDeadlineSeconds: number;
  imagePullSecret?: string;
  /** Who rolled it, for the Deployment's audit annotation (dag id / run id). */
  appliedBy?: string;
  rolloutTimeoutMs: number;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  log: ApplyLog;
}

export const rollToVersionResultSchema = z.object({
  image: z.string(),
  model_version: z.string(),
  revision: z.number().int(),
  /** What the Deployment ran before this roll. */
  previous: revisionRecordSchema.nullable(),
  /** True when the Deployment already ran this release (a repeated roll): nothing new rolled out. */
  unchanged: z.boolean(),
  rollout_s: z.number(),
  verification: verifyResultSchema,
  prediction: z.object({ status: z.number().int(), ms: z.number() }),
});
export type RollToVersionResult = z.infer<typeof rollToVersionResultSchema>;

export async function rollToVersion(cluster: Cluster, target: RollToVersionTarget): Promise<RollToVersionResult> {
  const { namespace, deployment: name, log } = target;
  const where = `${namespace}/${name}`;
  const current = await callOptional(`reading deployment ${where}`, () => cluster.apps.readNamespacedDeployment({ name, namespace }));
  if (!current) throw new K8sNotFoundError(`Deployment ${where} does not exist: there is no production release to roll back. Check K8S_NAMESPACE / K8S_DEPLOYMENT_NAME; nothing was changed.`);
  if (templateIs(current, { image: target.image, modelVersion: target.modelVersion })) log.info({ deployment: where }, `deployment ${where} already runs model version ${target.modelVersion} (${target.image})`);

  const release: Omit<Release, 'previous'> = {
    namespace,
    deployment: name,
    service: target.service,
    image: target.image,
    replicas: target.replicas,
    progressDeadlineSeconds: target.progressDeadlineSeconds,
    ...(target.imagePullSecret ? { imagePullSecret: target.imagePullSecret } : {}),
    model: { name: target.modelName, version: target.modelVersion },
    ...(target.appliedBy ? { appliedBy: target.appliedBy } : {}),
  };
  const applied = await applyRelease(cluster, { manifestDir: target.manifestDir, release, log });
  const rollout = await waitForRollout(cluster, { namespace, name, timeoutMs: target.rolloutTimeoutMs, pollIntervalMs: target.pollIntervalMs, log });
  log.info({ rollout_s: Number(rollout.seconds.toFixed(2)), revision: revisionOf(rollout.deployment) }, rollout.message);

  const verification = await verifyDeployment(cluster, {
    namespace,
    deployment: name,
    service: target.service,
    expected: { modelName: target.modelName, modelVersion: target.modelVersion },
    requestTimeoutMs: target.requestTimeoutMs,
    pollIntervalMs: target.pollIntervalMs,
  });
  const answer = await cluster.serviceProxy(namespace, target.service, 'http', '/predict', { json: probeRecords(1)[0], timeoutMs: target.requestTimeoutMs }).catch((error: Error) => {
    throw new VerificationError(`POST /predict through the service proxy of ${namespace}/${target.service} failed: ${error.message}.`);
  });
  const wrong = checkPrediction(answer.status, answer.body, target.modelVersion);
  if (wrong) throw new VerificationError(`POST /predict through ${namespace}/${target.service} after the roll to model version ${target.modelVersion}: ${wrong}.`);

  return {
    image: target.image,
    model_version: target.modelVersion,
    revision: revisionOf(rollout.deployment),
    previous: applied.previous,
    unchanged: applied.unchanged,
    rollout_s: Number(rollout.seconds.toFixed(2)),
    verification,
    prediction: { status: answer.status, ms: Number(answer.ms.toFixed(1)) },
  };
}
