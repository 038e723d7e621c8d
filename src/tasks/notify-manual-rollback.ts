import { z } from 'zod';
import { type Notification, notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { deliveredSchema, notificationChannelsSchema } from '../pipeline/contract/notifications.ts';
import { restoredProductionSchema, rollbackPlanSchema, rollToVersionResultSchema } from '../pipeline/contract/rollback.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Tells the configured channels about the manual rollback that completed: which version serves
 * again and which it replaced, why (the trigger form's reason), that it was triggered by hand
 * and from which dag run, and what the cluster did. Skipped on a dry run.
 */
export default defineTask({
  id: 'notify-manual-rollback',
  description: 'Notification: manual rollback done, from → to, who (dag run) and why.',
  input: z.object({ plan: rollbackPlanSchema, rolled: rollToVersionResultSchema, restored: restoredProductionSchema, channels: notificationChannelsSchema }),
  output: deliveredSchema,
  run: async ({ plan, rolled, restored, channels }, ctx) => {
    if (plan.dry_run) ctx.skip('dry run: nothing was changed, so there is nothing to announce');
    const where = `${plan.running.namespace}/${plan.running.deployment}`;
    const notification: Notification = {
      kind: 'rollback',
      severity: 'warning',
      title: `Manual rollback: ${plan.model_name} v${restored.replaced} → v${restored.restored} in production`,
      summary:
        `A manual rollback triggered from Airflow (dag run ${ctx.origin.runId}) put version ${restored.restored} back in production, replacing version ${restored.replaced}. ` +
        `Reason: ${plan.reason}. The Deployment ${where} ${rolled.unchanged ? 'already ran' : 'was rolled to'} its image and was verified serving it (/health, /model-info, /predict).`,
      facts: [
        { label: 'Trigger', value: `manual (dag run ${ctx.origin.runId})` },
        { label: 'Reason', value: plan.reason },
        { label: 'Registry', value: `production v${restored.replaced} → v${restored.restored}; previous v${restored.replaced}` },
        { label: 'Cluster', value: `${where} revision ${rolled.revision}, image ${rolled.image}` },
      ],
      ...ctx.origin,
    };
    const results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
