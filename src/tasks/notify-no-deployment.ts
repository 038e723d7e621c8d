import { z } from 'zod';
import { gateOutcomeSchema } from '../gates/outcome.ts';
import { NOTIFICATION_CHANNELS } from '../pipeline/config.ts';
import { notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { deploymentSkipped } from '../notify/pipeline-notifications.ts';
import { defineTask } from '../runtime/index.ts';
import logSkipDecision from './log-skip-decision.ts';

/** Tells the configured channels that production was kept, and what would change that. */
export default defineTask({
  id: 'notify-no-deployment',
  description: 'Notification: no deployment, the failed criteria and the recommendations.',
  input: z.object({ outcome: gateOutcomeSchema, skip: logSkipDecision.output, channels: z.array(z.enum(NOTIFICATION_CHANNELS)) }),
  output: z.object({ delivered: z.array(z.enum(NOTIFICATION_CHANNELS)) }),
  run: async ({ outcome, skip, channels }, ctx) => {
    const notification = deploymentSkipped(outcome, skip, { dagId: ctx.dagId ?? 'manual', runId: ctx.runId ?? 'manual' });
    const results = await sendNotification(notification, channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
