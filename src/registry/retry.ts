/** Retry policy of the MLflow client: capped exponential backoff with jitter. */

export interface RetryOptions {
  /** Attempts per request, including the first (default 5; 1 disables retries). */
  attempts?: number;
  /** Delay ceiling of the first retry (default 250 ms); doubles per retry. */
  baseDelayMs?: number;
  /** Cap of any one delay, also of a server's Retry-After (default 5 s). */
  maxDelayMs?: number;
  /** Per-attempt timeout of ordinary API calls (default 30 s). */
  timeoutMs?: number;
  /** Per-attempt timeout of artifact uploads and downloads (default 10 min). */
  artifactTimeoutMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 30_000, artifactTimeoutMs: 600_000 };

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new RangeError(`retry.attempts must be an integer >= 1, got ${policy.attempts}`);
  return policy;
}

/**
 * Delay before retry number `retry` (1-based): "equal jitter" — half of the capped exponential
 * ceiling fixed, half random — so retries spread out but never collapse to zero.
 */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
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
