import { z } from 'zod';
import { deliveredSchema, notificationChannelsSchema, taskFailureSchema } from '../pipeline/contract/notifications.ts';
import { notifyConfigFromEnv, sendNotification } from '../notify/index.ts';
import { pipelineFailed } from '../notify/pipeline-notifications.ts';
import { defineTask } from '../runtime/index.ts';

/** The DAG's failure handler: run by every task's on_failure_callback once it has failed for good. */
export default defineTask({
  id: 'notify-pipeline-failure',
  description: 'Notification: a task failed with no retries left.',
  input: z.object({ failure: taskFailureSchema, channels: notificationChannelsSchema }),
  output: deliveredSchema,
  run: async ({ failure, channels }, ctx) => {
    const results = await sendNotification(pipelineFailed(failure), channels, { config: notifyConfigFromEnv(), log: ctx.log });
    return { delivered: results.filter((r) => r.delivered).map((r) => r.channel) };
  },
});
