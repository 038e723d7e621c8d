/** One POST of a notification to a Slack incoming webhook, its failures classified. */
import { retryAfterMs } from '../runtime/retry.ts';
import type { SlackConfig } from './config.ts';
import { DeliveryAttemptError } from './errors.ts';
import type { SlackPayload } from './render.ts';

function describeNetworkError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer within the timeout';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

/** Returns a detail line; the webhook's path is the secret, so only its host is ever named. */
export async function postToSlack(payload: SlackPayload, config: SlackConfig, timeoutMs: number): Promise<string> {
  const where = `the Slack webhook at ${config.webhookUrl.host}`;
  let response: Response;
  try {
    response = await fetch(config.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      // a redirect would carry the message somewhere the webhook URL does not name
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DeliveryAttemptError(`could not reach ${where}: ${describeNetworkError(error)}`, false);
  }
  const body = (await response.text().catch(() => '')).trim().replace(/\s+/g, ' ').slice(0, 200);
  const { status } = response;
  if (status >= 200 && status < 300) return `posted to ${where} (HTTP ${status})`;
  const answer = `${where} answered HTTP ${status}${body ? ` "${body}"` : ''}`;
  if (status === 429) throw new DeliveryAttemptError(`${answer} (rate limited)`, false, retryAfterMs(response.headers.get('retry-after'), Number.POSITIVE_INFINITY));
  if (status >= 500) throw new DeliveryAttemptError(answer, false);
  if (status >= 300 && status < 400) throw new DeliveryAttemptError(`${answer}, a redirect; SLACK_WEBHOOK_URL should be the webhook URL itself`, true);
  throw new DeliveryAttemptError(
    `${answer}. Check SLACK_WEBHOOK_URL: Slack answers 403, 404 or 410 when the webhook was revoked or its channel archived, 400 when it rejects the message`,
    true,
  );
}
