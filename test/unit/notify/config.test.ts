import { describe, expect, it } from 'vitest';
import { notifyConfigFromEnv } from '../../../src/notify/index.ts';

const EMAIL = { SMTP_HOST: 'smtp.example.com', NOTIFY_EMAIL_FROM: 'Health Predict <hp@example.com>', NOTIFY_EMAIL_TO: 'ops@example.com, ml@example.com' };

describe('notifyConfigFromEnv', () => {
  it('reads email settings with the submission port and no TLS by default', () => {
    const config = notifyConfigFromEnv(EMAIL);
    expect(config.email).toEqual({
      ok: true,
      value: { host: 'smtp.example.com', port: 587, secure: false, from: 'Health Predict <hp@example.com>', to: ['ops@example.com', 'ml@example.com'] },
    });
    expect(config.retry.attempts).toBe(3);
  });

  it('uses implicit TLS on 465 when SMTP_SECURE is true and no port is given, and takes credentials in pairs', () => {
    const config = notifyConfigFromEnv({ ...EMAIL, SMTP_SECURE: 'true', SMTP_USER: 'hp', SMTP_PASSWORD: 'pw-1234' });
    expect(config.email.ok && config.email.value).toMatchObject({ port: 465, secure: true, auth: { user: 'hp', pass: 'pw-1234' } });
    const explicit = notifyConfigFromEnv({ ...EMAIL, SMTP_SECURE: 'false', SMTP_PORT: '2525' });
    expect(explicit.email.ok && explicit.email.value).toMatchObject({ port: 2525, secure: false });
  });

  it('names the missing variables, treating blank as unset, without failing the other channels', () => {
    const config = notifyConfigFromEnv({ SMTP_HOST: '  ', NOTIFY_EMAIL_FROM: 'hp@example.com', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' });
    expect(config.email.ok).toBe(false);
    if (config.email.ok) return;
    expect(config.email.problem).toContain('SMTP_HOST is not set');
    expect(config.email.problem).toContain('NOTIFY_EMAIL_TO is not set');
    expect(config.email.problem).toContain('Set SMTP_HOST, NOTIFY_EMAIL_FROM and NOTIFY_EMAIL_TO');
    expect(config.slack.ok).toBe(true);
  });

  it('says what is wrong with a bad value and never repeats a secret', () => {
    const config = notifyConfigFromEnv({
      ...EMAIL,
      NOTIFY_EMAIL_TO: 'ops@example.com, not-an-address',
      SMTP_PORT: 'smtp',
      SMTP_SECURE: 'maybe',
      SMTP_PASSWORD: 'hunter2-secret',
      SLACK_WEBHOOK_URL: 'ftp://hooks.example/secret-path',
    });
    const email = config.email.ok ? '' : config.email.problem;
    expect(email).toContain('NOTIFY_EMAIL_TO (entry 2)');
    expect(email).toContain('SMTP_PORT: not a port number');
    expect(email).toContain('SMTP_SECURE: must be true or false');
    expect(email).toContain('SMTP_USER and SMTP_PASSWORD go together');
    expect(email).not.toContain('hunter2-secret');
    const slack = config.slack.ok ? '' : config.slack.problem;
    expect(slack).toContain('SLACK_WEBHOOK_URL: must be an http(s) URL');
    expect(slack).not.toContain('secret-path');
  });

  it('keeps Airflow\'s base URL for links, without a trailing slash', () => {
    expect(notifyConfigFromEnv({ AIRFLOW__API__BASE_URL: 'http://localhost:8080/' }).airflowBaseUrl).toBe('http://localhost:8080');
    expect(notifyConfigFromEnv({ AIRFLOW__API__BASE_URL: 'not a url' }).airflowBaseUrl).toBeUndefined();
  });
});
