import { z } from 'zod';
import { k8sConfigFromEnv, rollToVersion, withCluster } from '../k8s/index.ts';
import { rollbackPlanSchema, rollToVersionResultSchema } from '../pipeline/contract/rollback.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Rolls the Deployment to the planned version's recorded image (pinned by digest) by the
 * deploy's server-side apply — not `kubectl rollout undo`, which only knows the revisions still
 * in the history — follows the rollout and verifies that version serves: endpoints, /health,
 * /model-info naming the version, one /predict. A Deployment that already runs it is left as
 * it is (an Airflow retry). Skipped on a dry run.
 */
export default defineTask({
  id: 'roll-deployment-to-version',
  description: 'Manual rollback: the Deployment rolled to the version’s recorded image, rollout followed, /health, /model-info and /predict verified.',
  input: z.object({ plan: rollbackPlanSchema }),
  output: rollToVersionResultSchema,
  run: async ({ plan }, ctx) => {
    if (plan.dry_run) ctx.skip(`dry run: the Deployment would be rolled to model version ${plan.to_version} (${plan.image})`);
    const config = k8sConfigFromEnv();
    const rolled = await withCluster(config, (cluster) =>
      rollToVersion(cluster, {
        namespace: config.namespace,
        deployment: config.deployment,
        service: config.service,
        image: plan.image,
        modelName: plan.model_name,
        modelVersion: plan.to_version,
        manifestDir: config.manifestDir,
        replicas: config.replicas,
        progressDeadlineSeconds: config.progressDeadlineSeconds,
        ...(config.imagePullSecret ? { imagePullSecret: config.imagePullSecret } : {}),
        appliedBy: `${ctx.origin.dagId}/${ctx.origin.runId}`,
        rolloutTimeoutMs: config.rolloutTimeoutMs,
        pollIntervalMs: config.pollIntervalMs,
        requestTimeoutMs: config.requestTimeoutMs,
        log: ctx.log,
      }),
    );
    ctx.log.info({ revision: rolled.revision, rollout_s: rolled.rollout_s, unchanged: rolled.unchanged }, `${config.namespace}/${config.deployment} serves model version ${plan.to_version}, verified (/health, /model-info, /predict ${rolled.prediction.ms} ms)`);
    return rolled;
  },
});
