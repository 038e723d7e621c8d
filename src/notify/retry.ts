/** Delivery to one channel with bounded retries of transient failures, each retry logged. */
import { withRetries } from '../runtime/retry.ts';
import type { RetrySettings } from './config.ts';
import { DeliveryAttemptError } from './errors.ts';
import type { DeliveryResult, NotificationChannel, NotifyLogger } from './notification.ts';

export interface ChannelOutcome extends DeliveryResult {
  /** For a failure: true when retrying the task would be refused again. */
  permanent: boolean;
}

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
  const waitTooLong = (failure: DeliveryAttemptError) => failure.retryAfterMs !== undefined && failure.retryAfterMs > settings.maxRetryAfterMs;
  let attempts = 0;
  try {
    const detail = await withRetries(
      async (attempt) => {
        attempts = attempt;
        try {
          return await send();
        } catch (error) {
          throw asAttemptError(error);
        }
      },
      {
        retryable: (error) => !(error as DeliveryAttemptError).permanent && !waitTooLong(error as DeliveryAttemptError),
        delayFor: (error) => (error as DeliveryAttemptError).retryAfterMs,
        onRetry: (error, attempt, delayMs) => {
          const reason = (error as DeliveryAttemptError).message;
          log.warn(
            { channel, attempt, attempts: settings.attempts, delay_ms: delayMs, reason },
            `${channel} notification attempt ${attempt} of ${settings.attempts} failed, retrying in ${delayMs} ms: ${reason}`,
          );
        },
      },
      settings,
    );
    if (attempts > 1) log.info({ channel, attempt: attempts }, `${channel} notification delivered on attempt ${attempts}`);
    return { channel, delivered: true, attempts, detail, permanent: false };
  } catch (error) {
    const failure = error as DeliveryAttemptError;
    const failed = (detail: string, permanent: boolean): ChannelOutcome => ({ channel, delivered: false, attempts, detail, permanent });
    if (failure.permanent) return failed(`${failure.message} (not retried: the same request would be refused again)`, true);
    if (waitTooLong(failure)) {
      const asked = Math.ceil(failure.retryAfterMs! / 1000);
      return failed(`${failure.message}; the server asked to wait ${asked} s, longer than the ${settings.maxRetryAfterMs / 1000} s a task waits, so the task retry takes over`, false);
    }
    return failed(`${failure.message} (gave up after ${attempts} attempts)`, false);
  }
}
