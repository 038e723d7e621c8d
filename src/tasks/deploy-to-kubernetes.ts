import { z } from 'zod';
import { applyRelease, k8sConfigFromEnv, recordFailure, RolloutFailedError, revisionOf, waitForRollout, withCluster } from '../k8s/index.ts';
import { deployStageSkipReason, deployTargetSchema } from '../pipeline/contract/deploy-target.ts';
import { deploymentSchema } from '../pipeline/contract/kubernetes.ts';
import { imagePushSchema, promotedVersionSchema } from '../pipeline/contract/release.ts';
import { mlflowClientFromEnv, pinnedImage, recordDeployedImage } from '../registry/index.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Applies the Deployment and Service (deploy/k8s, server-side apply) with the pushed image and
 * the promoted model version, after recording the running release on the Deployment, then
 * follows the rollout as `kubectl rollout status` does. A rollout that fails is marked on the
 * Deployment (for rollback_deployment) and fails the task without retries.
 */
export default defineTask({
  id: 'deploy-to-kubernetes',
  description: 'Kubernetes: server-side apply of Deployment + Service, previous revision recorded, rollout followed to completion.',
  input: z.object({ promotion: promotedVersionSchema, pushed: imagePushSchema, deploy_target: deployTargetSchema.default('kubernetes') }),
  output: deploymentSchema,
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
        appliedBy: `${ctx.origin.dagId}/${ctx.origin.runId}`,
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
      // What a manual rollback to this version rolls out (restoreVersion refuses a version without it).
      const deployed = { image: pinnedImage(image, pushed.digest), deployedTo: `${config.namespace}/${config.deployment}` };
      await recordDeployedImage(mlflowClientFromEnv(), promotion.model_name, promotion.version, deployed);
      ctx.log.info({ image: deployed.image, deployed_to: deployed.deployedTo }, `recorded on ${promotion.model_name} v${promotion.version}: deployed as ${deployed.image} to ${deployed.deployedTo}`);
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
