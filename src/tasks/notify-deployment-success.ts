import { z } from 'zod';
import { NOTIFICATION_CHANNELS } from '../pipeline/config.ts';
import { deployTargetSchema, skippedStages } from '../pipeline/deploy-target.ts';
import { notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { deploymentSucceeded } from '../notify/pipeline-notifications.ts';
import { defineTask } from '../runtime/index.ts';
import registerAndPromoteModel from './register-and-promote-model.ts';

/** Tells the configured channels which version went to production and why. */
export default defineTask({
  id: 'notify-deployment-success',
  description: 'Notification: the new production version and the decision behind it.',
  input: z.object({
    promotion: registerAndPromoteModel.output,
    channels: z.array(z.enum(NOTIFICATION_CHANNELS)),
    deploy_target: deployTargetSchema.default('kubernetes'),
  }),
  output: z.object({ delivered: z.array(z.enum(NOTIFICATION_CHANNELS)) }),
  run: async ({ promotion, channels, deploy_target }, ctx) => {
    const notification = deploymentSucceeded(promotion.outcome, promotion, { dagId: ctx.dagId ?? 'manual', runId: ctx.runId ?? 'manual' }, skippedStages(deploy_target));
    const results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
