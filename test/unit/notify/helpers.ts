import { type NotifyConfig, notifyConfigFromEnv } from '../../../src/notify/index.ts';

/** Short delays: the tests count retries, they do not wait for production back-off. */
export function testConfig(env: Record<string, string>): NotifyConfig {
  return { ...notifyConfigFromEnv(env), retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 }, timeoutMs: 5_000 };
}

export function emailEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(port),
    NOTIFY_EMAIL_FROM: 'Health Predict <health-predict@example.com>',
    NOTIFY_EMAIL_TO: 'ops@example.com, ml-team@example.com',
    ...extra,
  };
}

/** Awaits a promise expected to reject and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof Error)) throw new Error(`expected an Error, got ${String(outcome.error)}`);
  return outcome.error;
}
