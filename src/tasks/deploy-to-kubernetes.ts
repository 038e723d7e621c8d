import { z } from 'zod';
import { applyRelease, k8sConfigFromEnv, recordFailure, RolloutFailedError, revisionOf, revisionRecordSchema, waitForRollout, withCluster } from '../k8s/index.ts';
import { deployStageSkipReason, deployTargetSchema } from '../pipeline/deploy-target.ts';
import { defineTask } from '../runtime/index.ts';
import pushToEcr from './push-to-ecr.ts';
import { promotedVersionSchema } from './register-and-promote-model.ts';

/**
 * Applies the Deployment and Service (deploy/k8s, server-side apply) with the pushed image and
 * the promoted model version, after recording the running release on the Deployment, then
 * follows the rollout as `kubectl rollout status` does. A rollout that fails is marked on the
 * Deployment (for rollback_deployment) and fails the task without retries.
 */
export default defineTask({
  id: 'deploy-to-kubernetes',
  description: 'Kubernetes: server-side apply of Deployment + Service, previous revision recorded, rollout followed to completion.',
  input: z.object({ promotion: promotedVersionSchema, pushed: pushToEcr.output, deploy_target: deployTargetSchema.default('kubernetes') }),
  output: z.object({
    namespace: z.string(),
    deployment: z.string(),
    service: z.string(),
    image: z.string(),
    model_name: z.string(),
    model_version: z.string(),
    revision: z.number().int(),
    previous: revisionRecordSchema.nullable(),
    rollout_s: z.number(),
    unchanged: z.boolean(),
  }),
  run: async ({ promotion, pushed, deploy_target }, ctx) => {
    const skipReason = deployStageSkipReason(deploy_target, 'kubernetes');
    if (skipReason) ctx.skip(skipReason);
    const config = k8sConfigFromEnv();
    return withCluster(config, async (cluster) => {
      const image = pushed.image_ref;
      const release = {
        namespace: config.namespace,
        deployment: config.deployment,
        service: config.service,
        image,
        replicas: config.replicas,
        progressDeadlineSeconds: config.progressDeadlineSeconds,
        ...(config.imagePullSecret ? { imagePullSecret: config.imagePullSecret } : {}),
        model: { name: promotion.model_name, version: promotion.version },
        appliedBy: `${ctx.dagId ?? 'manual'}/${ctx.runId ?? 'manual'}`,
      };
      ctx.log.info({ server: cluster.server, namespace: config.namespace, deployment: config.deployment, image, model_version: promotion.version }, `deploying ${promotion.model_name} v${promotion.version}`);
      const applied = await applyRelease(cluster, { manifestDir: config.manifestDir, release, log: ctx.log });
      let rollout;
      try {
        rollout = await waitForRollout(cluster, { namespace: config.namespace, name: config.deployment, timeoutMs: config.rolloutTimeoutMs, pollIntervalMs: config.pollIntervalMs, log: ctx.log });
      } catch (error) {
        if (error instanceof RolloutFailedError) {
          await recordFailure(cluster, config.namespace, config.deployment, { stage: 'rollout', reason: error.message, image, modelVersion: promotion.version });
          ctx.log.error({ reason: error.reason }, `${error.message} The Deployment is marked for rollback_deployment.`);
        }
        throw error;
      }
      ctx.log.info({ rollout_s: Number(rollout.seconds.toFixed(2)), revision: revisionOf(rollout.deployment) }, rollout.message);
      return {
        namespace: config.namespace,
        deployment: config.deployment,
        service: config.service,
        image,
        model_name: promotion.model_name,
        model_version: promotion.version,
        revision: revisionOf(rollout.deployment),
        previous: applied.previous,
        rollout_s: Number(rollout.seconds.toFixed(2)),
        unchanged: applied.unchanged,
      };
    });
  },
});
