import { z } from 'zod';
import { k8sConfigFromEnv, rollbackCluster, withCluster } from '../k8s/index.ts';
import { notifyConfigFromEnv, sendNotification, type Notification } from '../notify/index.ts';
import { rollbackResultSchema } from '../pipeline/contract/kubernetes.ts';
import { notificationChannelsSchema } from '../pipeline/contract/notifications.ts';
import { promotedVersionSchema } from '../pipeline/contract/release.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { PREVIOUS_ALIAS, PRODUCTION_ALIAS, restorePrevious } from '../registry/promotion.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Runs when a task of the deploy path failed (trigger rule one_failed: deploy_to_kubernetes,
 * verify_deployment, post_deployment_health_check, or — as upstream_failed — the image, its
 * test or its push). With rollback_on_failure (default true): undo on the cluster as
 * `kubectl rollout undo` does — only when the Deployment runs the failed candidate — wait,
 * verify the old version serves, move MLflow's `production` alias back (the failed version is
 * tagged), notify, and report the time from failure detection to restored service. It succeeds
 * when the rollback did; the DAG run still ends failed through the failed task upstream.
 */
export default defineTask({
  id: 'rollback-deployment',
  description: 'Rollback: kubectl-style undo of the failed candidate, old version verified, registry production alias restored, notification.',
  input: z.object({
    promotion: promotedVersionSchema,
    rollback_on_failure: z.boolean().default(true),
    channels: notificationChannelsSchema,
  }),
  output: rollbackResultSchema,
  run: async ({ promotion, rollback_on_failure, channels }, ctx) => {
    if (!rollback_on_failure) ctx.skip(`rollback_on_failure is false: ${promotion.model_name} v${promotion.version} stays as it is after the failure; roll back by hand if needed`);
    const config = k8sConfigFromEnv();
    // Identified by model version: when the image, its test or its push failed there is no image reference.
    const candidate = { modelVersion: promotion.version };
    const result = await withCluster(config, (cluster) =>
      rollbackCluster(cluster, {
        namespace: config.namespace,
        deployment: config.deployment,
        service: config.service,
        modelName: promotion.model_name,
        candidate,
        rolloutTimeoutMs: config.rolloutTimeoutMs,
        pollIntervalMs: config.pollIntervalMs,
        requestTimeoutMs: config.requestTimeoutMs,
        log: ctx.log,
      }),
    );
    if (result.action === 'not_needed') ctx.log.warn({ reason: result.reason }, `no cluster rollback: ${result.reason}`);
    else ctx.log.info({ detection_to_restored_s: result.detection_to_restored_s, undo_rollout_s: result.undo_rollout_s, to_revision: result.to_revision }, `cluster restored to model version ${result.restored_model_version} (revision ${result.to_revision}) ${result.detection_to_restored_s} s after the failure was detected`);

    const mlflow = mlflowClientFromEnv();
    const reason = result.action === 'rolled_back' && result.failure_stage
      ? `${result.failure_stage} failed for version ${promotion.version} in dag run ${ctx.origin.runId}`
      : `deployment of version ${promotion.version} failed in dag run ${ctx.origin.runId}`;
    const model = await mlflow.models.get(promotion.model_name);
    let registry: { restored: string; failed: string } | null = null;
    if (model?.aliases[PRODUCTION_ALIAS] === promotion.version && model.aliases[PREVIOUS_ALIAS]) {
      registry = await restorePrevious(mlflow, promotion.model_name, reason);
      ctx.log.info(registry, `registry: '${PRODUCTION_ALIAS}' moved back to version ${registry.restored}; version ${registry.failed} tagged with the rollback`);
    } else if (model?.aliases[PRODUCTION_ALIAS] === promotion.version) {
      ctx.log.warn({ production: promotion.version }, `registry: version ${promotion.version} is the first production model, so there is no '${PREVIOUS_ALIAS}' to restore; '${PRODUCTION_ALIAS}' stays on it and nothing serves it`);
    } else {
      ctx.log.warn({ production: model?.aliases[PRODUCTION_ALIAS] ?? null, candidate: promotion.version }, `registry: '${PRODUCTION_ALIAS}' does not point at the failed version ${promotion.version}; left unchanged`);
    }

    const restoredS = result.action === 'rolled_back' ? result.detection_to_restored_s : Number(((Date.now() - Date.parse(result.detected_at)) / 1000).toFixed(2));
    const notification: Notification = {
      kind: 'rollback',
      severity: 'error',
      title: `Rollback: ${promotion.model_name} v${promotion.version} failed on the deploy path${registry ? `; production is v${registry.restored} again` : ''}`,
      summary:
        result.action === 'rolled_back'
          ? `The ${result.failure_stage ?? 'deployment'} step failed (${result.failure_reason ?? 'see the task log'}). The Deployment ${config.namespace}/${config.deployment} was rolled back to revision ${result.to_revision} (model version ${result.restored_model_version}), verified serving ${restoredS} s after the failure was detected.`
          : `The deployment of v${promotion.version} failed; nothing was undone on the cluster (${result.reason}).`,
      facts: [
        { label: 'Failed version', value: `${promotion.model_name} v${promotion.version}` },
        { label: 'Cluster', value: result.action === 'rolled_back' ? `revision ${result.from_revision} → ${result.to_revision}, image ${result.restored_image}` : result.reason },
        { label: 'Registry', value: registry ? `production v${registry.failed} → v${registry.restored}` : 'unchanged' },
        { label: 'Detection → restored', value: `${restoredS} s` },
      ],
      ...ctx.origin,
    };
    const delivered = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { cluster: result, registry, detection_to_restored_s: restoredS, notified: delivered.filter((d) => d.delivered).map((d) => d.channel) };
  },
});
