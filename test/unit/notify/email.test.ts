import { afterEach, describe, expect, it } from 'vitest';
import { NotificationDeliveryError, NotificationRefusedError, sendNotification } from '../../../src/notify/index.ts';
import { NonRetryableError, exitCodeFor } from '../../../src/runtime/errors.ts';
import { emailEnv, rejection, testConfig } from './helpers.ts';
import { SAMPLE, type SmtpSink, captureLog, closedPort, startSmtpSink } from './sinks.ts';

const PASSWORD = 'pw-Very-Secret-4711';

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('email notifications through a real SMTP server', () => {
  it('delivers the subject, plain text and escaped HTML to every recipient', async () => {
    sink = await startSmtpSink();
    const capture = captureLog();
    const results = await sendNotification(SAMPLE, ['email'], { config: testConfig(emailEnv(sink.port)), log: capture.log });

    expect(results).toEqual([
      { channel: 'airflow', delivered: true, attempts: 1, detail: 'written to the task log' },
      { channel: 'email', delivered: true, attempts: 1, detail: expect.stringContaining('sent to ops@example.com, ml-team@example.com via 127.0.0.1') },
    ]);
    expect(sink.messages).toHaveLength(1);
    const mail = sink.messages[0]!;
    expect(mail.subject).toBe('[INFO] Model v7 deployed (DEPLOY, ΔF1 +0.031)');
    expect(mail.from?.value).toEqual([{ address: 'health-predict@example.com', name: 'Health Predict' }]);
    const to = Array.isArray(mail.to) ? mail.to : [mail.to];
    expect(to.flatMap((list) => list?.value.map((address) => address.address))).toEqual(['ops@example.com', 'ml-team@example.com']);
    expect(mail.text).toContain('  Model version: 7');
    expect(mail.text).toContain('<script>alert("x")</script> & <!channel>');
    expect(mail.text).toContain('run manual__2026-01-01T00:00:00+00:00');
    const html = String(mail.html);
    expect(html).toContain('<th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">ΔF1</th>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;!channel&gt;');
    expect(html).not.toContain('<script>');
    expect(sink.logins).toEqual([]);
  });

  it('logs in when SMTP_USER/SMTP_PASSWORD are set, and never logs the password', async () => {
    sink = await startSmtpSink({ credentials: { user: 'notifier', pass: PASSWORD } });
    const capture = captureLog();
    const config = testConfig(emailEnv(sink.port, { SMTP_USER: 'notifier', SMTP_PASSWORD: PASSWORD }));
    const results = await sendNotification(SAMPLE, ['email'], { config, log: capture.log });

    expect(results[1]).toMatchObject({ channel: 'email', delivered: true, attempts: 1 });
    expect(sink.logins).toEqual([{ username: 'notifier', password: PASSWORD }]);
    expect(sink.messages).toHaveLength(1);
    expect(capture.text()).not.toContain(PASSWORD);
    expect(JSON.stringify(results)).not.toContain(PASSWORD);
  });

  it('does not retry a refused login (535) and fails without burning task retries', async () => {
    sink = await startSmtpSink({ refuseLogin: true });
    const capture = captureLog();
    const config = testConfig(emailEnv(sink.port, { SMTP_USER: 'notifier', SMTP_PASSWORD: PASSWORD }));
    const error = await rejection(sendNotification(SAMPLE, ['email'], { config, log: capture.log }));

    expect(error).toBeInstanceOf(NotificationRefusedError);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(exitCodeFor(error)).toBe(97);
    expect(error.message).toContain('email (1 attempt)');
    expect(error.message).toContain('535');
    expect(error.message).toContain('Check SMTP_USER and SMTP_PASSWORD');
    expect((error as NotificationRefusedError).results[1]).toMatchObject({ channel: 'email', delivered: false, attempts: 1 });
    expect(sink.logins).toHaveLength(1);
    expect(sink.messages).toHaveLength(0);
    expect(error.message).not.toContain(PASSWORD);
    expect(capture.text()).not.toContain(PASSWORD);
    expect(capture.entries().some((entry) => entry.level === 'error' && entry.msg.includes('not delivered'))).toBe(true);
  });

  it('retries a transient 451 and delivers on the second attempt, logging the retry', async () => {
    sink = await startSmtpSink({ transientFailures: 1 });
    const capture = captureLog();
    const results = await sendNotification(SAMPLE, ['email'], { config: testConfig(emailEnv(sink.port)), log: capture.log });

    expect(results[1]).toMatchObject({ channel: 'email', delivered: true, attempts: 2 });
    expect(sink.messages).toHaveLength(1);
    const retries = capture.entries().filter((entry) => entry.level === 'warn');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ channel: 'email', attempt: 1, attempts: 3 });
    expect(retries[0]?.msg).toContain('451');
  });

  it('retries an unreachable server three times, then fails retryably', async () => {
    const port = await closedPort();
    const capture = captureLog();
    const error = await rejection(sendNotification(SAMPLE, ['email'], { config: testConfig(emailEnv(port)), log: capture.log }));

    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(exitCodeFor(error)).not.toBe(97);
    expect(error.message).toContain('email (3 attempts)');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('gave up after 3 attempts');
    expect(capture.entries().filter((entry) => entry.level === 'warn')).toHaveLength(2);
  });
});
