/**
 * Sends one notification: always to the task log (`airflow`), then to every requested channel
 * in turn. A requested channel without settings is skipped with a warning and named in the
 * notification ("email (if configured)"); the configured ones are all attempted and their
 * failures collected into one error afterwards.
 */
import { NonRetryableError } from '../runtime/errors.ts';
import { type NotifyConfig, unconfiguredChannels } from './config.ts';
import { sendEmail } from './email.ts';
import { DeliveryAttemptError, NotificationDeliveryError, NotificationRefusedError, NotifyConfigError } from './errors.ts';
import {
  type DeliveryResult,
  type ExternalChannel,
  type Notification,
  type NotificationChannel,
  type NotifyLogger,
  channelListSchema,
  isExternalChannel,
  notificationSchema,
} from './notification.ts';
import { htmlBody, plainTextBody, runLink, slackPayload, subjectLine } from './render.ts';
import { type ChannelOutcome, deliverWithRetries } from './retry.ts';
import { postToSlack } from './slack.ts';

export interface SendOptions {
  config: NotifyConfig;
  log: NotifyLogger;
}

const LOG_LEVEL = { info: 'info', warning: 'warn', error: 'error' } as const;

/** Values that must never reach a log line, an error or a result. */
function secretsOf(config: NotifyConfig): string[] {
  const secrets: string[] = [];
  if (config.email.ok && config.email.value.auth) secrets.push(config.email.value.auth.pass);
  if (config.slack.ok) {
    const url = config.slack.value.webhookUrl;
    secrets.push(url.href, url.pathname + url.search);
  }
  return secrets.filter((secret) => secret.length >= 4 && secret !== '/');
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** Scrubs secrets from what one attempt reports, before the retry loop logs or keeps it. */
function redacting(send: () => Promise<string>, secrets: readonly string[]): () => Promise<string> {
  return async () => {
    try {
      return redact(await send(), secrets);
    } catch (error) {
      if (error instanceof DeliveryAttemptError) throw new DeliveryAttemptError(redact(error.message, secrets), error.permanent, error.retryAfterMs);
      throw new Error(redact(error instanceof Error ? error.message : String(error), secrets));
    }
  };
}

function logNotification(n: Notification, requested: readonly ExternalChannel[], log: NotifyLogger): DeliveryResult {
  const { dagId, runId, ...rest } = n;
  log[LOG_LEVEL[n.severity] ?? 'info']({ notification: { ...rest, dag_id: dagId, run_id: runId }, channels: ['airflow', ...requested] }, `notification (${n.kind}): ${n.title}`);
  return { channel: 'airflow', delivered: true, attempts: 1, detail: 'written to the task log' };
}

/** The notification with a line naming the requested channels it will not reach. */
function namingSkipped(n: Notification, skipped: readonly { channel: ExternalChannel }[]): Notification {
  if (!skipped.length) return n;
  return { ...n, facts: [...n.facts, { label: 'Not sent to', value: skipped.map(({ channel }) => `${channel} (not configured)`).join(', ') }] };
}

function sendOnce(channel: ExternalChannel, n: Notification, config: NotifyConfig): () => Promise<string> {
  const link = runLink(n, config.airflowBaseUrl);
  if (channel === 'email') {
    if (!config.email.ok) throw new NotifyConfigError(config.email.problem);
    const email = config.email.value;
    const message = { subject: subjectLine(n), text: plainTextBody(n, link), html: htmlBody(n, link) };
    return () => sendEmail(message, email, config.timeoutMs);
  }
  if (!config.slack.ok) throw new NotifyConfigError(config.slack.problem);
  const slack = config.slack.value;
  const payload = slackPayload(n, link);
  return () => postToSlack(payload, slack, config.timeoutMs);
}

function failureError(n: Notification, outcomes: readonly ChannelOutcome[], results: DeliveryResult[], attempted: number): Error {
  const failed = outcomes.filter((outcome) => !outcome.delivered);
  const lines = failed.map((outcome) => `${outcome.channel} (${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'}): ${outcome.detail}`);
  const allPermanent = failed.every((outcome) => outcome.permanent);
  const message =
    `The notification "${n.title}" was not delivered to ${failed.length} of ${attempted} requested channel${attempted === 1 ? '' : 's'} ` +
    `(it is in the task log): ${lines.join('; ')}. ` +
    (allPermanent ? 'Retrying the task would be refused again; fix the configuration named above.' : 'A retry of the task may get it through.');
  return allPermanent ? new NotificationRefusedError(message, results) : new NotificationDeliveryError(message, results);
}

/**
 * Writes the notification to the log, then sends it to each requested and configured channel
 * (email, slack) with retries. A requested channel that is not configured is skipped: a warning
 * names it and the variables to set, the notification says it was not sent there, and its
 * result is `delivered: false, attempts: 0`. Throws one NotificationDeliveryError /
 * NotificationRefusedError naming every failed channel after all were attempted.
 */
export async function sendNotification(
  n: Notification,
  channels: readonly NotificationChannel[],
  options: SendOptions,
): Promise<DeliveryResult[]> {
  const { config, log } = options;
  const parsedChannels = channelListSchema.safeParse(channels);
  const requested = parsedChannels.success ? [...new Set(parsedChannels.data.filter(isExternalChannel))] : [];
  const skipped = unconfiguredChannels(config, requested);
  const sendable = requested.filter((channel) => !skipped.some((skip) => skip.channel === channel));
  const parsed = notificationSchema.safeParse(n);
  const logged = logNotification(namingSkipped(parsed.success ? parsed.data : n, skipped), sendable, log);
  if (!parsedChannels.success) {
    throw new NonRetryableError(`Unknown notification channel in ${JSON.stringify(channels)}: use airflow (the task log; log is an older name), email and/or slack.`);
  }
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new NonRetryableError(`The notification to send is malformed (${problems}); it was written to the task log only. This is a bug in the calling task.`);
  }
  const notification = namingSkipped(parsed.data, skipped);
  for (const { channel, problem } of skipped) {
    log.warn({ channel }, `notification "${notification.title}" not sent to ${channel} (requested, not configured): ${problem} Or leave ${channel} out of the notification_channels param.`);
  }

  const secrets = secretsOf(config);
  const outcomes: ChannelOutcome[] = [];
  for (const channel of sendable) {
    const send = redacting(sendOnce(channel, notification, config), secrets);
    outcomes.push(await deliverWithRetries(channel, send, config.retry, log));
  }
  const skippedResults: DeliveryResult[] = skipped.map(({ channel, problem }) => ({ channel, delivered: false, attempts: 0, detail: `skipped: ${problem}` }));
  const results: DeliveryResult[] = [logged, ...outcomes.map(({ permanent: _, ...result }) => result), ...skippedResults];
  const summary = results.map(({ channel, delivered, attempts }) => ({ channel, delivered, attempts }));
  if (outcomes.every((outcome) => outcome.delivered)) {
    const sentTo = results.filter((result) => result.delivered).map((result) => result.channel);
    log.info({ results: summary }, `notification sent to ${sentTo.join(', ')}${skipped.length ? `; skipped ${skipped.map((skip) => skip.channel).join(', ')} (not configured)` : ''}`);
    return results;
  }
  const error = failureError(notification, outcomes, results, sendable.length);
  log.error({ results: summary, reason: error.message }, 'notification not delivered to every requested channel');
  throw error;
}
