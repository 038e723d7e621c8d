import { z } from 'zod';
import { ClusterUnavailableError, K8sNotFoundError, k8sConfigFromEnv, withCluster } from '../k8s/index.ts';
import { callOptional } from '../k8s/client.ts';
import { imageOf, modelVersionOf } from '../k8s/revision.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { rollbackPlanSchema, rollbackReasonSchema, rollbackTargetSchema, type RollbackPlan } from '../pipeline/contract/rollback.ts';
import { defaultRestoreTarget, mlflowClientFromEnv, planRestoreVersion } from '../registry/index.ts';
import { NonRetryableError, defineTask } from '../runtime/index.ts';

/** The cluster could not be asked what it runs: a manual rollback is refused rather than retried blindly. */
class ClusterUnreachableRefusal extends NonRetryableError {}

/**
 * The manual rollback's checks, before anything changes: resolves the target (the named
 * version, else the `previous` alias, read once here), runs every registry check of the
 * rollback (the model and version exist, the version was deployed so its image is known, it
 * is not already production, a reason is given) and reads the Deployment, so an unreachable
 * cluster or a missing Deployment is refused here too. Every refusal fails this task without
 * retries and leaves the registry and the cluster as they were. With dry_run the plan is
 * logged and the later tasks skip.
 */
export default defineTask({
  id: 'plan-rollback',
  description: 'Manual rollback: target resolved, registry and cluster checked, the plan returned (nothing changed).',
  input: z.object({ to_version: rollbackTargetSchema, reason: rollbackReasonSchema, dry_run: z.boolean().default(false) }),
  output: rollbackPlanSchema,
  run: async ({ to_version, reason, dry_run }, ctx) => {
    const modelName = loadPipelineEnv().MODEL_NAME;
    const mlflow = mlflowClientFromEnv();
    const toVersion = to_version ?? (await defaultRestoreTarget(mlflow, modelName));
    if (to_version === null) ctx.log.info({ to_version: toVersion }, `no version named: rolling back to the 'previous' alias, version ${toVersion}`);
    const registry = await planRestoreVersion(mlflow, modelName, toVersion, { reason, trigger: 'manual', dagId: ctx.origin.dagId, dagRunId: ctx.origin.runId });

    const config = k8sConfigFromEnv();
    const where = `${config.namespace}/${config.deployment}`;
    const current = await withCluster(config, (cluster) => callOptional(`reading deployment ${where}`, () => cluster.apps.readNamespacedDeployment({ name: config.deployment, namespace: config.namespace }))).catch((error: unknown) => {
      if (error instanceof ClusterUnavailableError) throw new ClusterUnreachableRefusal(`Cannot roll model '${modelName}' back to version ${toVersion}: ${error.message} Nothing was changed.`, { cause: error });
      throw error;
    });
    if (!current) throw new K8sNotFoundError(`Cannot roll model '${modelName}' back to version ${toVersion}: Deployment ${where} does not exist, so there is no production release to roll back. Check K8S_NAMESPACE / K8S_DEPLOYMENT_NAME; nothing was changed.`);
    const plan: RollbackPlan = {
      model_name: modelName,
      to_version: registry.restored,
      to_previous_alias: to_version === null,
      from_version: registry.replaced,
      image: registry.image,
      deployed_to: registry.deployedTo,
      running: { namespace: config.namespace, deployment: config.deployment, image: imageOf(current) ?? null, model_version: modelVersionOf(current) },
      reason,
      dry_run,
      resumed: registry.resumed,
    };
    const summary = `production v${plan.from_version} → v${plan.to_version} (${plan.image}); ${where} runs model version ${plan.running.model_version ?? 'unknown'}`;
    ctx.log.info(plan, dry_run ? `dry run, nothing will change: ${summary}` : `rollback planned: ${summary}`);
    return plan;
  },
});
