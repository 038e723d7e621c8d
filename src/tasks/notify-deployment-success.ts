import { z } from 'zod';
import { deployTargetSchema, skippedStages } from '../pipeline/contract/deploy-target.ts';
import { deliveredSchema, notificationChannelSchema } from '../pipeline/contract/notifications.ts';
import { promotionSchema } from '../pipeline/contract/release.ts';
import { notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { deploymentSucceeded } from '../notify/pipeline-notifications.ts';
import { defineTask } from '../runtime/index.ts';

/** Tells the configured channels which version went to production and why. */
export default defineTask({
  id: 'notify-deployment-success',
  description: 'Notification: the new production version and the decision behind it.',
  input: z.object({
    promotion: promotionSchema,
    channels: z.array(notificationChannelSchema),
    deploy_target: deployTargetSchema.default('kubernetes'),
  }),
  output: deliveredSchema,
  run: async ({ promotion, channels, deploy_target }, ctx) => {
    const notification = deploymentSucceeded(promotion.outcome, promotion, ctx.origin, skippedStages(deploy_target));
    const results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
