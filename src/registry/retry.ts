/**
 * Retry settings of the MLflow client: attempts and backoff (the project's policy,
 * src/runtime/retry.ts) plus the per-attempt timeouts of API calls and artifact transfers.
 */

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
