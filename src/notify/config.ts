/**
 * Notification settings from the environment. A channel's settings are validated on their
 * own: a run that only logs must not fail because SMTP_PORT is malformed, so a bad or missing
 * channel is recorded as a problem and reported only when that channel is requested.
 */
import { z } from 'zod';
import type { ExternalChannel } from './notification.ts';

export interface EmailConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (SMTPS); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  auth?: { user: string; pass: string };
  from: string;
  to: string[];
}

export interface SlackConfig {
  /** Secret: whoever has the URL can post. Log `webhookUrl.host` only. */
  webhookUrl: URL;
}

export type ChannelSetting<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface RetrySettings {
  /** Attempts per channel, the first included. */
  attempts: number;
  /** Delay ceiling of the first retry; doubles per retry, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A longer Retry-After is not waited for: the channel fails transiently and the task retry takes over. */
  maxRetryAfterMs: number;
}

export interface NotifyConfig {
  email: ChannelSetting<EmailConfig>;
  slack: ChannelSetting<SlackConfig>;
  retry: RetrySettings;
  /** Per attempt: the Slack request, and each SMTP wait (connect, greeting, socket idle). */
  timeoutMs: number;
  /** Airflow's own `[api] base_url`, for a link to the DAG run; absent → no link. */
  airflowBaseUrl?: string;
}

export const DEFAULT_RETRY: RetrySettings = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000, maxRetryAfterMs: 30_000 };
export const DEFAULT_TIMEOUT_MS = 15_000;

const SMTP_SUBMISSION_PORT = 587;
const SMTPS_PORT = 465;

const EMAIL_HINT =
  'Set SMTP_HOST, NOTIFY_EMAIL_FROM and NOTIFY_EMAIL_TO (optional: SMTP_PORT, SMTP_SECURE=true|false, SMTP_USER together with SMTP_PASSWORD)';
const SLACK_HINT = 'Set SLACK_WEBHOOK_URL to the incoming-webhook URL Slack gave you (https://hooks.slack.com/services/…)';

const emailAddress = z.email();

/** "hp@example.com" or "Health Predict <hp@example.com>". */
const mailbox = z.string().refine((value) => {
  const bracketed = /<([^<>]+)>\s*$/.exec(value);
  return emailAddress.safeParse((bracketed?.[1] ?? value).trim()).success;
}, 'not an address like ops@example.com or "Name <ops@example.com>"');

const addressList = z
  .string()
  .transform((value) => value.split(',').map((address) => address.trim()).filter(Boolean))
  .pipe(z.array(emailAddress).min(1, 'lists no address'));

const flag = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const emailEnvSchema = z.object({
    SMTP_HOST: z.string(),
    SMTP_PORT: z.coerce.number({ error: 'not a port number' }).int().min(1).max(65_535).optional(),
    SMTP_SECURE: flag.optional(),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    NOTIFY_EMAIL_FROM: mailbox,
    NOTIFY_EMAIL_TO: addressList,
});

const slackEnvSchema = z.object({
  SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
});

/** Unset and blank are the same: Airflow renders an undefined template variable as "". */
function present(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''));
}

/** Names each bad variable and why, never its value (it may be a password or a webhook secret). */
function describeIssues(error: z.ZodError, env: Record<string, string>): string[] {
  return error.issues
    .map((issue) => {
      const [name, ...rest] = issue.path.map(String);
      if (name === undefined) return issue.message;
      if (env[name] === undefined) return `${name} is not set`;
      const where = typeof issue.path[1] === 'number' ? `${name} (entry ${issue.path[1] + 1})` : [name, ...rest].join('.');
      return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
    });
}

function emailSetting(env: Record<string, string>): ChannelSetting<EmailConfig> {
  const parsed = emailEnvSchema.safeParse(env);
  const problems = parsed.success ? [] : describeIssues(parsed.error, env);
  if ((env.SMTP_USER === undefined) !== (env.SMTP_PASSWORD === undefined)) {
    problems.push('SMTP_USER and SMTP_PASSWORD go together: set both for an authenticated server, or neither');
  }
  if (!parsed.success || problems.length) return { ok: false, problem: `email is not configured: ${problems.join('; ')}. ${EMAIL_HINT}.` };
  const e = parsed.data;
  const secure = e.SMTP_SECURE ?? false;
  const config: EmailConfig = {
    host: e.SMTP_HOST.trim(),
    port: e.SMTP_PORT ?? (secure ? SMTPS_PORT : SMTP_SUBMISSION_PORT),
    secure,
    from: e.NOTIFY_EMAIL_FROM.trim(),
    to: e.NOTIFY_EMAIL_TO,
  };
  if (e.SMTP_USER !== undefined && e.SMTP_PASSWORD !== undefined) config.auth = { user: e.SMTP_USER, pass: e.SMTP_PASSWORD };
  return { ok: true, value: config };
}

function slackSetting(env: Record<string, string>): ChannelSetting<SlackConfig> {
  const parsed = slackEnvSchema.safeParse(env);
  if (!parsed.success) return { ok: false, problem: `slack is not configured: ${describeIssues(parsed.error, env).join('; ')}. ${SLACK_HINT}.` };
  return { ok: true, value: { webhookUrl: new URL(parsed.data.SLACK_WEBHOOK_URL) } };
}

/** Reads SMTP_*, NOTIFY_EMAIL_*, SLACK_WEBHOOK_URL and AIRFLOW__API__BASE_URL; never throws. */
export function notifyConfigFromEnv(env: Record<string, string | undefined> = process.env): NotifyConfig {
  const set = present(env);
  const config: NotifyConfig = { email: emailSetting(set), slack: slackSetting(set), retry: { ...DEFAULT_RETRY }, timeoutMs: DEFAULT_TIMEOUT_MS };
  const airflow = z.url({ protocol: /^https?$/ }).safeParse(set.AIRFLOW__API__BASE_URL);
  if (airflow.success) config.airflowBaseUrl = airflow.data.replace(/\/+$/, '');
  return config;
}

/** The requested external channels that cannot be sent, each with what is missing. */
export function unconfiguredChannels(config: NotifyConfig, channels: readonly ExternalChannel[]): { channel: ExternalChannel; problem: string }[] {
  return channels.flatMap((channel) => {
    const setting = config[channel];
    return setting.ok ? [] : [{ channel, problem: setting.problem }];
  });
}
