/** Delivery to one channel with bounded retries of transient failures, each retry logged. */
import { backoffDelay } from '../registry/retry.ts';
import type { RetrySettings } from './config.ts';
import { DeliveryAttemptError } from './errors.ts';
import type { DeliveryResult, NotificationChannel, NotifyLogger } from './notification.ts';

export interface ChannelOutcome extends DeliveryResult {
  /** For a failure: true when retrying the task would be refused again. */
  permanent: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function asAttemptError(error: unknown): DeliveryAttemptError {
  if (error instanceof DeliveryAttemptError) return error;
  // Unclassified failures are treated as transient: the attempts are bounded either way.
  return new DeliveryAttemptError(`unexpected error: ${error instanceof Error ? error.message : String(error)}`, false);
}

/** `send` returns a detail line on success and throws DeliveryAttemptError on failure. */
export async function deliverWithRetries(
  channel: NotificationChannel,
  send: () => Promise<string>,
  settings: RetrySettings,
  log: NotifyLogger,
): Promise<ChannelOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      const detail = await send();
      if (attempt > 1) log.info({ channel, attempt }, `${channel} notification delivered on attempt ${attempt}`);
      return { channel, delivered: true, attempts: attempt, detail, permanent: false };
    } catch (error) {
      const failure = asAttemptError(error);
      const failed = (detail: string, permanent: boolean): ChannelOutcome => ({ channel, delivered: false, attempts: attempt, detail, permanent });
      if (failure.permanent) return failed(`${failure.message} (not retried: the same request would be refused again)`, true);
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > settings.maxRetryAfterMs) {
        const asked = Math.ceil(failure.retryAfterMs / 1000);
        return failed(`${failure.message}; the server asked to wait ${asked} s, longer than the ${settings.maxRetryAfterMs / 1000} s a task waits, so the task retry takes over`, false);
      }
      if (attempt >= settings.attempts) return failed(`${failure.message} (gave up after ${attempt} attempts)`, false);
      const delayMs = failure.retryAfterMs ?? backoffDelay(attempt, settings);
      log.warn(
        { channel, attempt, attempts: settings.attempts, delay_ms: delayMs, reason: failure.message },
        `${channel} notification attempt ${attempt} of ${settings.attempts} failed, retrying in ${delayMs} ms: ${failure.message}`,
      );
      await sleep(delayMs);
    }
  }
}
