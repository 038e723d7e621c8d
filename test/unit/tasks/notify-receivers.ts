/**
 * Real receivers for the notify tasks: a local SMTP server and a local HTTP server standing in
 * for the Slack webhook (test/unit/notify/sinks.ts), wired into the environment the tasks read
 * (SMTP_*, NOTIFY_EMAIL_*, SLACK_WEBHOOK_URL). A test file calls `useNotifyReceivers()` once.
 */
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { type HttpSink, type ScriptedResponse, type SmtpSink, type SmtpSinkOptions, startHttpSink, startSmtpSink } from '../notify/sinks.ts';

export interface NotifyReceivers {
  readonly mail: SmtpSink;
  readonly webhook: HttpSink;
  close(): Promise<void>;
}

/** Variables a developer's shell may export that would change what the tasks do here. */
const UNSET = ['SMTP_USER', 'SMTP_PASSWORD', 'SMTP_SECURE', 'AIRFLOW__API__BASE_URL'];

async function startNotifyReceivers(options: { smtp?: SmtpSinkOptions; webhook?: readonly ScriptedResponse[] } = {}): Promise<NotifyReceivers> {
  const mail = await startSmtpSink(options.smtp);
  const webhook = await startHttpSink(options.webhook ?? [{ status: 200 }]);
  for (const name of UNSET) vi.stubEnv(name, undefined);
  vi.stubEnv('SMTP_HOST', '127.0.0.1');
  vi.stubEnv('SMTP_PORT', String(mail.port));
  vi.stubEnv('NOTIFY_EMAIL_FROM', 'Health Predict <health-predict@example.com>');
  vi.stubEnv('NOTIFY_EMAIL_TO', 'ops@example.com');
  vi.stubEnv('SLACK_WEBHOOK_URL', webhook.url);
  return {
    mail,
    webhook,
    close: async () => {
      vi.unstubAllEnvs();
      await Promise.all([mail.close(), webhook.close()]);
    },
  };
}

/**
 * The receivers for one test file: started before its tests (the returned object is filled in
 * then), emptied after each test, closed after all of them.
 */
export function useNotifyReceivers(options: Parameters<typeof startNotifyReceivers>[0] = {}): NotifyReceivers {
  const receivers = {} as { -readonly [K in keyof NotifyReceivers]: NotifyReceivers[K] };
  beforeAll(async () => {
    Object.assign(receivers, await startNotifyReceivers(options));
  });
  afterEach(() => {
    receivers.mail.messages.length = 0;
    receivers.webhook.requests.length = 0;
  });
  afterAll(() => receivers.close?.());
  return receivers;
}

/** The Slack payload of the webhook's `index`-th request, as one string to search. */
export const slackText = (webhook: HttpSink, index = 0) => JSON.stringify(JSON.parse(webhook.requests[index]!.body));
