import { z } from 'zod';
import { notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { driftAlert } from '../notify/drift-notifications.ts';
import { driftCheckSchema } from '../pipeline/contract/drift.ts';
import { deliveredSchema, notificationChannelSchema } from '../pipeline/contract/notifications.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Tells the configured channels about drift: a warning on MINOR drift, or that a retraining was
 * started on MODERATE or worse (after the trigger succeeded). Each at most once per cooldown,
 * which measure_drift already applied.
 */
export default defineTask({
  id: 'notify-drift-alert',
  description: 'Notification: minor drift (a warning), or drift that started a retraining.',
  input: z.object({
    drift: driftCheckSchema,
    channels: z.array(notificationChannelSchema),
    triggered_dag_id: z.string().optional().describe('The DAG the retraining runs in, named in the message'),
  }),
  output: deliveredSchema,
  run: async ({ drift, channels, triggered_dag_id }, ctx) => {
    if (drift.action === 'none') ctx.skip(`Nothing to announce: ${drift.action_reason}`);
    const notification = driftAlert(drift, ctx.origin, triggered_dag_id ? { dagId: triggered_dag_id } : undefined);
    const results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
