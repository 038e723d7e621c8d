/**
 * The retry policy every client of ours uses for transient failures (Docker, ECR, MLflow, S3,
 * notifications): bounded attempts, capped exponential backoff with equal jitter, a delay the
 * server asked for (Retry-After) taking precedence, and a hook to log each retry.
 *
 * Kept by hand rather than p-retry or exponential-backoff: neither has equal jitter (full or
 * multiplicative only) nor waits for a server-given delay, and these few lines keep every
 * caller's delays, defaults and log lines exactly as they are.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Delay ceiling of the first retry (`baseDelayMs`), doubling per retry up to `maxDelayMs`. */
export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetrySettings extends Partial<BackoffPolicy> {
  /** Attempts including the first (default 4). */
  readonly attempts?: number;
  /** For tests: what waits between attempts and what draws the jitter. */
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly random?: () => number;
}

export interface RetryHooks {
  /** True when `error` is worth another attempt. */
  retryable(error: unknown): boolean;
  /** A wait the failure itself asks for (e.g. a server's Retry-After), used instead of the backoff. */
  delayFor?(error: unknown): number | undefined;
  /** Called before each wait, e.g. to log the attempt. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

export const DEFAULT_RETRY_SETTINGS = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 } as const;

/**
 * Delay before retry number `retry` (1-based): "equal jitter" — half of the capped exponential
 * ceiling fixed, half random — so retries spread out but never collapse to zero.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After (seconds or an HTTP date) in ms, capped; undefined when absent or unparsable. */
export function retryAfterMs(header: string | null, capMs: number, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, capMs) : undefined;
}

/**
 * Runs `operation` (given the 1-based attempt number) until it succeeds, fails with an error
 * `retryable` refuses, or the attempts are used up; then the last error is thrown as it is.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, hooks: RetryHooks, settings: RetrySettings = {}): Promise<T> {
  const attempts = settings.attempts ?? DEFAULT_RETRY_SETTINGS.attempts;
  const policy = { baseDelayMs: settings.baseDelayMs ?? DEFAULT_RETRY_SETTINGS.baseDelayMs, maxDelayMs: settings.maxDelayMs ?? DEFAULT_RETRY_SETTINGS.maxDelayMs };
  const wait = settings.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !hooks.retryable(error)) throw error;
      const delayMs = hooks.delayFor?.(error) ?? backoffDelay(attempt, policy, settings.random);
      hooks.onRetry?.(error, attempt, delayMs);
      await wait(delayMs);
    }
  }
}
