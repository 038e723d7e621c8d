/** Transient failures between the client and a real MLflow: retried with backoff; 4xx are not. */
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowAuthError, MlflowNotFoundError, MlflowUnavailableError, type RetryEvent } from '../../../src/registry/index.ts';
import { freePort } from '../../../src/host/ports.ts';
import { type FlakyProxy, faults, startFlakyProxy } from '../../harness/flaky-proxy.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from './helpers.ts';

const services = useServices(['mlflow']);
const proxies: FlakyProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
const proxy = async (options: Omit<Parameters<typeof startFlakyProxy>[0], 'target'>) => {
  const p = await startFlakyProxy({ target: services.mlflowUri, ...options });
  proxies.push(p);
  return p;
};

describe('retries', () => {
  it('keeps trying while the server is down and succeeds once it comes up', async () => {
    const port = await freePort();
    const retries: RetryEvent[] = [];
    const mlflow = client(`http://127.0.0.1:${port}`, { retry: { attempts: 6, baseDelayMs: 400, maxDelayMs: 2_000 }, onRetry: (e) => retries.push(e) });
    const started = Date.now();
    setTimeout(() => void proxy({ port }), 1_000);
    const experiment = await mlflow.experiments.getOrCreate(unique('late'));
    expect(experiment.lifecycleStage).toBe('active');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toMatchObject({ method: 'GET', path: '/api/2.0/mlflow/experiments/get-by-name', attempt: 1, attempts: 6 });
    expect(retries[0]!.reason).toMatch(/ECONNREFUSED/);
  });

  it('retries 503 answers and dropped connections, then succeeds', async () => {
    const flaky = await proxy({ failures: 2, fault: faults.mlflowUnavailable });
    const retries: RetryEvent[] = [];
    const mlflow = client(flaky.endpoint, { onRetry: (e) => retries.push(e) });
    const name = unique('flaky');
    await mlflow.experiments.create(name);
    expect(flaky.log.map((e) => e.outcome)).toEqual(['status', 'status', 'forwarded']);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);

    flaky.failNext(1, faults.reset);
    expect((await mlflow.experiments.getByName(name))?.name).toBe(name);
    expect(flaky.log.slice(-2).map((e) => e.outcome)).toEqual(['reset', 'forwarded']);
  });

  it('gives up after the configured attempts with a retryable MlflowUnavailableError', async () => {
    const flaky = await proxy({ failures: 10, fault: faults.status(502, 'bad gateway') });
    const error = await client(flaky.endpoint, { retry: { attempts: 3, baseDelayMs: 10 } })
      .runs.get('0'.repeat(32))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(error).toMatchObject({ status: 502, retryable: true, method: 'GET', path: '/api/2.0/mlflow/runs/get' });
    expect((error as Error).message).toMatch(/gave up after 3 attempts/);
    expect(flaky.requests()).toBe(3);
  });

  it('does not retry 4xx answers', async () => {
    const flaky = await proxy({});
    const error = await client(flaky.endpoint, { retry: { attempts: 5, baseDelayMs: 10 } })
      .runs.get('0'.repeat(32))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowNotFoundError);
    expect(flaky.requests()).toBe(1);
  });

  it('explains a Host header the server does not allow (403, not retried)', async () => {
    const flaky = await proxy({ preserveHost: true });
    const error = await client(flaky.endpoint).experiments.getByName('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowAuthError);
    expect((error as Error).message).toMatch(/--allowed-hosts/);
    expect(flaky.requests()).toBe(1);
  });

  it('times out a hanging request and retries it', async () => {
    const flaky = await proxy({ failures: 1, fault: faults.delay(3_000) });
    const retries: RetryEvent[] = [];
    const mlflow = client(flaky.endpoint, { retry: { attempts: 3, baseDelayMs: 10, timeoutMs: 500 }, onRetry: (e) => retries.push(e) });
    expect(await mlflow.experiments.getByName(unique('none'))).toBeUndefined();
    expect(retries).toHaveLength(1);
    expect(retries[0]!.reason).toMatch(/timed out/);
  });
});
