import { afterEach, describe, expect, it } from 'vitest';
import { type Notification, NotificationDeliveryError, NotificationRefusedError, sendNotification } from '../../../src/notify/index.ts';
import { NonRetryableError } from '../../../src/runtime/errors.ts';
import { emailEnv, rejection, testConfig } from './helpers.ts';
import { type HttpSink, SAMPLE, type SmtpSink, captureLog, startHttpSink, startSmtpSink } from './sinks.ts';

const sinks: (HttpSink | SmtpSink)[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
});

async function smtp(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const sink = await startSmtpSink(options);
  sinks.push(sink);
  return sink;
}

async function webhook(script: Parameters<typeof startHttpSink>[0]): Promise<HttpSink> {
  const sink = await startHttpSink(script);
  sinks.push(sink);
  return sink;
}

const FAILURE: Notification = {
  ...SAMPLE,
  kind: 'pipeline_failure',
  severity: 'error',
  title: 'health_predict_continuous_improvement failed in\n  build_api_image',
  summary: 'docker build exited 1.',
  facts: [{ label: 'Task', value: 'build_api_image' }],
};

describe('sendNotification', () => {
  it('always writes the whole notification to the log, at the level of its severity', async () => {
    const capture = captureLog();
    const results = await sendNotification(FAILURE, [], { config: testConfig({}), log: capture.log });

    expect(results).toEqual([{ channel: 'airflow', delivered: true, attempts: 1, detail: 'written to the task log' }]);
    const entry = capture.entries().find((line) => 'notification' in line);
    expect(entry).toMatchObject({
      level: 'error',
      msg: 'notification (pipeline_failure): health_predict_continuous_improvement failed in build_api_image',
      channels: ['airflow'],
      notification: {
        kind: 'pipeline_failure',
        severity: 'error',
        title: 'health_predict_continuous_improvement failed in build_api_image',
        summary: 'docker build exited 1.',
        facts: [{ label: 'Task', value: 'build_api_image' }],
        dag_id: 'health_predict_continuous_improvement',
        run_id: 'manual__2026-01-01T00:00:00+00:00',
      },
    });
  });

  it('skips a requested but unconfigured channel with a warning naming the env vars, says so in the notification, and sends the others', async () => {
    const hook = await webhook([{ status: 200 }]);
    const capture = captureLog();
    const results = await sendNotification(SAMPLE, ['slack', 'email'], { config: testConfig({ SLACK_WEBHOOK_URL: hook.url }), log: capture.log });

    expect(results.map(({ channel, delivered, attempts }) => [channel, delivered, attempts])).toEqual([
      ['airflow', true, 1],
      ['slack', true, 1],
      ['email', false, 0],
    ]);
    expect(results[2]!.detail).toMatch(/^skipped: email is not configured: SMTP_HOST is not set/);
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]!.body).toContain('email (not configured)');
    const warning = capture.entries().find((line) => line.level === 'warn' && line.channel === 'email');
    expect(warning?.msg).toContain('not sent to email (requested, not configured)');
    expect(warning?.msg).toContain('Set SMTP_HOST, NOTIFY_EMAIL_FROM and NOTIFY_EMAIL_TO');
    expect(warning?.msg).toContain('notification_channels');
    const logged = capture.entries().find((line) => 'notification' in line) as unknown as { notification: { facts: unknown[] } };
    expect(logged.notification.facts).toContainEqual({ label: 'Not sent to', value: 'email (not configured)' });

    const mail = await smtp();
    const slackMissing = await sendNotification(SAMPLE, ['email', 'slack'], { config: testConfig(emailEnv(mail.port)), log: capture.log });
    expect(slackMissing.find((result) => result.channel === 'slack')).toMatchObject({ delivered: false, attempts: 0, detail: expect.stringContaining('SLACK_WEBHOOK_URL is not set') });
    expect(slackMissing.find((result) => result.channel === 'email')?.delivered).toBe(true);
    expect(mail.connections()).toBe(1);
  });

  it("accepts 'log', the older name of the 'airflow' channel", async () => {
    const results = await sendNotification(SAMPLE, ['log'], { config: testConfig({}), log: captureLog().log });
    expect(results.map((result) => result.channel)).toEqual(['airflow']);
  });

  it('attempts every channel even when an earlier one is refused, and reports only the failed one', async () => {
    const mail = await smtp({ refuseLogin: true });
    const hook = await webhook([{ status: 200 }]);
    const capture = captureLog();
    const config = testConfig({ ...emailEnv(mail.port, { SMTP_USER: 'notifier', SMTP_PASSWORD: 'not-the-password' }), SLACK_WEBHOOK_URL: hook.url });
    const error = await rejection(sendNotification(SAMPLE, ['email', 'slack'], { config, log: capture.log }));

    expect(error).toBeInstanceOf(NotificationRefusedError);
    expect(error.message).toMatch(/^The notification "Model v7 deployed \(DEPLOY, ΔF1 \+0\.031\)" was not delivered to 1 of 2 requested channels/);
    expect(error.message).toContain('email (1 attempt)');
    expect(error.message).not.toContain('slack (');
    expect(hook.requests).toHaveLength(1);
    expect((error as NotificationRefusedError).results.map(({ channel, delivered }) => [channel, delivered])).toEqual([
      ['airflow', true],
      ['email', false],
      ['slack', true],
    ]);
    expect(capture.text()).not.toContain('not-the-password');
  });

  it('is retryable when any failure is transient, and lists every failed channel', async () => {
    const mail = await smtp({ refuseLogin: true });
    const hook = await webhook([{ status: 503, body: 'upstream down' }]);
    const capture = captureLog();
    const config = testConfig({ ...emailEnv(mail.port, { SMTP_USER: 'notifier', SMTP_PASSWORD: 'not-the-password' }), SLACK_WEBHOOK_URL: hook.url });
    const error = await rejection(sendNotification(SAMPLE, ['email', 'slack'], { config, log: capture.log }));

    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect(error.message).toContain('not delivered to 2 of 2 requested channels');
    expect(error.message).toContain('email (1 attempt)');
    expect(error.message).toContain('slack (3 attempts)');
    expect(error.message).toContain('A retry of the task may get it through.');
    expect(hook.requests).toHaveLength(3);
  });

  it('sends once per channel however often it is listed', async () => {
    const hook = await webhook([{ status: 200 }]);
    const results = await sendNotification(SAMPLE, ['airflow', 'slack', 'slack'], { config: testConfig({ SLACK_WEBHOOK_URL: hook.url }), log: captureLog().log });

    expect(results.map((result) => result.channel)).toEqual(['airflow', 'slack']);
    expect(hook.requests).toHaveLength(1);
  });

  it('rejects a malformed notification as a bug of the caller, after logging it', async () => {
    const capture = captureLog();
    const error = await rejection(sendNotification({ ...SAMPLE, title: '   ' }, ['log'], { config: testConfig({}), log: capture.log }));

    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toContain('title: must not be blank');
    expect(capture.entries().some((line) => 'notification' in line)).toBe(true);
  });
});
