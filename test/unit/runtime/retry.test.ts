/** The project's retry policy: backoff delays, Retry-After parsing, and the retry loop. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs, withRetries } from '../../../src/runtime/retry.ts';

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and never drops below half the ceiling', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(10, policy, () => 0)).toBe(500);
  });
});

describe('retryAfterMs', () => {
  it('honours Retry-After in seconds or as a date, capped', () => {
    expect(retryAfterMs('2', 5000)).toBe(2000);
    expect(retryAfterMs('60', 5000)).toBe(5000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 5000, 9_000)).toBe(1000);
    expect(retryAfterMs(null, 5000)).toBeUndefined();
    expect(retryAfterMs('soon', 5000)).toBeUndefined();
  });
});

describe('withRetries', () => {
  const transient = new Error('transient');
  const fatal = new Error('fatal');
  const recorder = () => {
    const waits: number[] = [];
    const retries: [unknown, number, number][] = [];
    return { waits, retries, sleep: async (ms: number) => void waits.push(ms), onRetry: (e: unknown, a: number, d: number) => void retries.push([e, a, d]) };
  };

  it('retries retryable failures with the backoff until one attempt succeeds', async () => {
    const r = recorder();
    const seen: number[] = [];
    const result = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw transient;
        return 'ok';
      },
      { retryable: (e) => e === transient, onRetry: r.onRetry },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 150, sleep: r.sleep, random: () => 1 },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(r.waits).toEqual([100, 150]);
    expect(r.retries).toEqual([[transient, 1, 100], [transient, 2, 150]]);
  });

  it('throws the last error once the attempts are used up', async () => {
    const r = recorder();
    let calls = 0;
    const error = await withRetries(async () => { calls++; throw transient; }, { retryable: () => true }, { attempts: 3, sleep: r.sleep, random: () => 0 }).catch((e: unknown) => e);
    expect(error).toBe(transient);
    expect(calls).toBe(3);
    expect(r.waits).toEqual([250, 500]); // the defaults: 500 ms first ceiling, doubling
  });

  it('throws a failure it may not retry at once', async () => {
    const r = recorder();
    let calls = 0;
    const error = await withRetries(async () => { calls++; throw fatal; }, { retryable: (e) => e !== fatal }, { sleep: r.sleep }).catch((e: unknown) => e);
    expect(error).toBe(fatal);
    expect(calls).toBe(1);
    expect(r.waits).toEqual([]);
  });

  it('waits what the failure asks for (Retry-After) instead of the backoff', async () => {
    const r = recorder();
    await withRetries(
      async (attempt) => {
        if (attempt === 1) throw transient;
        return 'ok';
      },
      { retryable: () => true, delayFor: () => 1234 },
      { sleep: r.sleep },
    );
    expect(r.waits).toEqual([1234]);
  });

  it('really waits between attempts by default', async () => {
    const started = Date.now();
    await withRetries(async (attempt) => {
      if (attempt === 1) throw transient;
    }, { retryable: () => true }, { baseDelayMs: 60, maxDelayMs: 60, random: () => 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});
