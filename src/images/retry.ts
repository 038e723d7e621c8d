/** Bounded retries of transient failures with the project's backoff (capped exponential, equal jitter). */
import { backoffDelay } from '../registry/retry.ts';

export interface RetrySettings {
  /** Attempts including the first (default 4). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface RetryHooks {
  /** True when `error` is worth another attempt. */
  retryable(error: unknown): boolean;
  /** Called before each wait, e.g. to log the attempt. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(operation: (attempt: number) => Promise<T>, hooks: RetryHooks, settings: RetrySettings = {}): Promise<T> {
  const attempts = settings.attempts ?? 4;
  const policy = { baseDelayMs: settings.baseDelayMs ?? 500, maxDelayMs: settings.maxDelayMs ?? 8_000 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !hooks.retryable(error)) throw error;
      const delayMs = backoffDelay(attempt, policy);
      hooks.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}
