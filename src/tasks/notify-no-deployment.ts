import { z } from 'zod';
import { gateOutcomeSchema, skipRecordSchema } from '../pipeline/contract/gates.ts';
import { deliveredSchema, notificationChannelSchema } from '../pipeline/contract/notifications.ts';
import { notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { deploymentSkipped } from '../notify/pipeline-notifications.ts';
import { defineTask } from '../runtime/index.ts';

/** Tells the configured channels that production was kept, and what would change that. */
export default defineTask({
  id: 'notify-no-deployment',
  description: 'Notification: no deployment, the failed criteria and the recommendations.',
  input: z.object({ outcome: gateOutcomeSchema, skip: skipRecordSchema, channels: z.array(notificationChannelSchema) }),
  output: deliveredSchema,
  run: async ({ outcome, skip, channels }, ctx) => {
    const notification = deploymentSkipped(outcome, skip, ctx.origin);
    const results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
