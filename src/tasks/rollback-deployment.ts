import { z } from 'zod';
import { type ClusterRollback, k8sConfigFromEnv, rollbackCluster, withCluster } from '../k8s/index.ts';
import {
  type DeliveryResult,
  type Notification,
  type NotificationChannel,
  NotificationDeliveryError,
  NotificationRefusedError,
  notifyConfigFromEnv,
  sendNotification,
} from '../notify/index.ts';
import { type DeployTarget, deployStageSkipReason, deployTargetSchema } from '../pipeline/contract/deploy-target.ts';
import { rollbackResultSchema } from '../pipeline/contract/kubernetes.ts';
import { notificationChannelsSchema } from '../pipeline/contract/notifications.ts';
import { promotedVersionSchema } from '../pipeline/contract/release.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { PREVIOUS_ALIAS, PRODUCTION_ALIAS, restorePrevious } from '../registry/promotion.ts';
import { type TaskContext, defineTask } from '../runtime/index.ts';

type TaskLogger = TaskContext['log'];

/**
 * Runs when a stage after promotion failed (trigger rule one_failed over the cluster stages, and
 * only when register_and_promote_model succeeded in this run: skipUnlessSucceeded — a failure
 * before promotion has nothing of this run to undo). The failed stage may be the image, its
 * local test or its push (upstream_failed below them), the rollout, its verification or the
 * health check. With rollback_on_failure (default true):
 * - the cluster, when deploy_target includes it: undo as `kubectl rollout undo` does — only when
 *   the Deployment runs the failed candidate — wait, verify the old version serves;
 * - the registry, always, even when the cluster step failed: `production` back to `previous`
 *   (the failed version is tagged);
 * - a notification, whose failure is reported (error log, `not_notified`) but never undoes the
 *   rollback's success.
 * A cluster step that failed fails the task after the registry was restored (Airflow retries it;
 * both steps are safe to repeat). The DAG run still ends failed through the failed stage.
 */
export default defineTask({
  id: 'rollback-deployment',
  description: 'Rollback: kubectl-style undo of the failed candidate, old version verified, registry production alias restored, notification.',
  input: z.object({
    promotion: promotedVersionSchema,
    rollback_on_failure: z.boolean().default(true),
    deploy_target: deployTargetSchema.default('kubernetes'),
    channels: notificationChannelsSchema,
  }),
  output: rollbackResultSchema,
  run: async ({ promotion, rollback_on_failure, deploy_target, channels }, ctx) => {
    if (!rollback_on_failure) ctx.skip(`rollback_on_failure is false: ${promotion.model_name} v${promotion.version} stays as it is after the failure; roll back by hand if needed`);
    const detectedAt = new Date();
    let clusterFailure: unknown;
    const result = await rollBackCluster(promotion, deploy_target, detectedAt, ctx.log).catch((error: unknown) => {
      clusterFailure = error;
      ctx.log.error({ err: error }, `the cluster could not be rolled back (${(error as Error).message}); restoring the registry anyway`);
      return { action: 'not_needed' as const, reason: `the cluster rollback failed: ${(error as Error).message}`, detected_at: detectedAt.toISOString() };
    });
    if (result.action === 'not_needed' && !clusterFailure) ctx.log.warn({ reason: result.reason }, `no cluster rollback: ${result.reason}`);
    else if (result.action === 'rolled_back') ctx.log.info({ detection_to_restored_s: result.detection_to_restored_s, undo_rollout_s: result.undo_rollout_s, to_revision: result.to_revision }, `cluster restored to model version ${result.restored_model_version} (revision ${result.to_revision}) ${result.detection_to_restored_s} s after the failure was detected`);

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
    const clusterNote = clusterFailure ? `The cluster could not be rolled back: ${(clusterFailure as Error).message}` : undefined;
    const notification: Notification = {
      kind: 'rollback',
      severity: 'error',
      title: `Rollback: ${promotion.model_name} v${promotion.version} failed on the deploy path${registry ? `; production is v${registry.restored} again` : ''}`,
      summary:
        result.action === 'rolled_back'
          ? `The ${result.failure_stage ?? 'deployment'} step failed (${result.failure_reason ?? 'see the task log'}). The Deployment ${deploymentName()} was rolled back to revision ${result.to_revision} (model version ${result.restored_model_version}), verified serving ${restoredS} s after the failure was detected.`
          : clusterNote ?? `The deployment of v${promotion.version} failed; nothing was undone on the cluster (${result.reason}).`,
      facts: [
        { label: 'Failed version', value: `${promotion.model_name} v${promotion.version}` },
        { label: 'Cluster', value: result.action === 'rolled_back' ? `revision ${result.from_revision} → ${result.to_revision}, image ${result.restored_image}` : result.reason },
        { label: 'Registry', value: registry ? `production v${registry.failed} → v${registry.restored}` : 'unchanged' },
        { label: 'Detection → restored', value: `${restoredS} s` },
      ],
      ...ctx.origin,
    };
    const delivery = await notifyOrReport(notification, channels, ctx.log);
    if (clusterFailure) throw clusterFailure;
    return { cluster: result, registry, detection_to_restored_s: restoredS, ...delivery };
  },
});

function deploymentName(): string {
  const { namespace, deployment } = k8sConfigFromEnv();
  return `${namespace}/${deployment}`;
}

/** The cluster step: not needed when the run's deploy_target leaves the cluster out. */
async function rollBackCluster(promotion: { model_name: string; version: string }, deployTarget: DeployTarget, detectedAt: Date, log: TaskLogger): Promise<ClusterRollback> {
  const leftOut = deployStageSkipReason(deployTarget, 'kubernetes');
  if (leftOut) return { action: 'not_needed', reason: `${leftOut}; nothing was rolled out to a cluster`, detected_at: detectedAt.toISOString() };
  const config = k8sConfigFromEnv();
  return withCluster(config, (cluster) =>
    rollbackCluster(cluster, {
      namespace: config.namespace,
      deployment: config.deployment,
      service: config.service,
      modelName: promotion.model_name,
      // Identified by model version: when the image, its test or its push failed there is no image reference.
      candidate: { modelVersion: promotion.version },
      rolloutTimeoutMs: config.rolloutTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      requestTimeoutMs: config.requestTimeoutMs,
      log,
    }),
  );
}

/** Sends the rollback's notification; a channel that did not take it is reported, not fatal: the rollback itself succeeded. */
async function notifyOrReport(notification: Notification, channels: readonly NotificationChannel[], log: TaskLogger): Promise<{ notified: NotificationChannel[]; not_notified: { channel: NotificationChannel; detail: string }[] }> {
  let results: readonly DeliveryResult[];
  try {
    results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log });
  } catch (error) {
    if (!(error instanceof NotificationDeliveryError || error instanceof NotificationRefusedError)) throw error;
    log.error({ err: error }, `the rollback succeeded but its notification did not reach every channel: ${error.message}`);
    results = error.results;
  }
  return {
    notified: results.filter((r) => r.delivered).map((r) => r.channel),
    not_notified: results.filter((r) => !r.delivered).map((r) => ({ channel: r.channel, detail: r.detail ?? 'not delivered' })),
  };
}
