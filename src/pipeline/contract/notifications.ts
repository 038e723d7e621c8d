/**
 * Contract of the notification tasks: the channels a run may name (notify owns the list), what
 * each task reports as delivered, and the failure the DAG's failure handler receives.
 */
import { z } from 'zod';
import { DEFAULT_NOTIFICATION_CHANNELS, NOTIFICATION_CHANNELS } from '../../notify/notification.ts';
import { taskFailureSchema } from '../../runtime/failure.ts';

export { DEFAULT_NOTIFICATION_CHANNELS, NOTIFICATION_CHANNELS, taskFailureSchema };

export const notificationChannelSchema = z.enum(NOTIFICATION_CHANNELS);

/** A notify task's `channels` input: absent means the default channels. */
export const notificationChannelsSchema = z.array(notificationChannelSchema).default([...DEFAULT_NOTIFICATION_CHANNELS]);

/** Every notify task's output: the channels that took the message. */
export const deliveredSchema = z.object({ delivered: z.array(notificationChannelSchema) });
