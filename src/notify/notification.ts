/** What a notification says, independent of where it goes. */
import { z } from 'zod';

/**
 * Where a notification can go. `airflow` is the task log (always written); `log` is an older
 * name for it, still accepted and reported as `airflow`.
 */
export const NOTIFICATION_CHANNELS = ['airflow', 'log', 'email', 'slack'] as const;

/** What `notification_channels` means when a run does not say: the task log, and email when it is configured. */
export const DEFAULT_NOTIFICATION_CHANNELS = ['airflow', 'email'] as const satisfies readonly (typeof NOTIFICATION_CHANNELS)[number][];

export const NOTIFICATION_KINDS = ['deployment_success', 'no_deployment', 'pipeline_failure', 'rollback', 'drift_warning', 'drift_retraining'] as const;

export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** A channel that leaves the machine: needs settings (SMTP, a webhook). */
export type ExternalChannel = Exclude<NotificationChannel, 'airflow' | 'log'>;

export const isExternalChannel = (channel: NotificationChannel): channel is ExternalChannel => channel !== 'airflow' && channel !== 'log';

export interface Notification {
  kind: (typeof NOTIFICATION_KINDS)[number];
  severity: 'info' | 'warning' | 'error';
  /** One line, e.g. "Model v7 deployed (DEPLOY, ΔF1 +0.031)". */
  title: string;
  /** A few human sentences. */
  summary: string;
  /** Rendered as a table (email) or fields (Slack). */
  facts: ReadonlyArray<{ label: string; value: string }>;
  dagId: string;
  runId: string;
}

export interface DeliveryResult {
  channel: NotificationChannel;
  delivered: boolean;
  attempts: number;
  detail: string;
}

/** The subset of a pino logger notifications use. */
export interface NotifyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Titles end up in a mail subject and a Slack header: one line, whitespace collapsed. */
const oneLine = z.string().transform((text) => text.replace(/\s+/g, ' ').trim()).pipe(z.string().min(1, 'must not be blank'));

export const notificationSchema = z.object({
  kind: z.enum(NOTIFICATION_KINDS),
  severity: z.enum(['info', 'warning', 'error']),
  title: oneLine,
  summary: z.string(),
  facts: z.array(z.object({ label: oneLine, value: z.string() })).readonly(),
  dagId: z.string().min(1),
  runId: z.string().min(1),
});

export const channelListSchema = z.array(z.enum(NOTIFICATION_CHANNELS)).readonly();
