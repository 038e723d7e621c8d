/**
 * The local API test suite (what `test_api_locally` runs against a container) against the
 * real service on loopback with a real model: it passes on a good service and names what is
 * wrong on a service that serves another version or other probabilities.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.ts';
import { requestRecord } from '../../../src/api-checks/records.ts';
import { runApiSuite } from '../../../src/api-checks/suite.ts';
import { createScorer } from '../../../src/evaluation/onnx-scorer.ts';
import { faults, startFlakyProxy } from '../../harness/flaky-proxy.ts';
import { type ApiFixture, buildApiFixture, MODEL_INFO } from '../api/api-fixture.ts';

let fixture: ApiFixture;
let app: FastifyInstance;
let baseUrl: string;
let probabilities: number[];

beforeAll(async () => {
  fixture = buildApiFixture({ modelType: 'lr' });
  app = buildApp({ model: { onnx: fixture.onnxPath, metadata: fixture.metadata }, modelInfo: MODEL_INFO });
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const scorer = await createScorer(fixture.onnxPath, fixture.metadata);
  probabilities = Array.from(await scorer.score(fixture.featureRows.slice(0, 5)));
  await scorer.dispose();
}, 240_000);

afterAll(async () => {
  await app?.close();
  fixture?.cleanup();
});

const records = () => fixture.featureRows.slice(0, 5).map(requestRecord);

describe('runApiSuite', () => {
  it('passes every check on a healthy service serving the registered model, and reports latency', async () => {
    const result = await runApiSuite({ baseUrl, expected: { name: MODEL_INFO.name, version: MODEL_INFO.version }, records: records(), probabilities, latencyRequests: 50 });
    expect(result.checks.filter((c) => !c.passed)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      'health', 'ready', 'model_version', 'predictions', 'batch',
      'error: missing field', 'error: wrong type', 'error: wrong content type', 'error: body too large', 'error: malformed JSON', 'error: unknown route',
      'latency',
    ]);
    expect(result.latency.requests).toBe(50);
    expect(result.latency.p95_ms).toBeGreaterThan(0);
    expect(result.latency.p50_ms).toBeLessThanOrEqual(result.latency.p95_ms);
  });

  it('fails the version check when another version is expected, and the prediction check when probabilities differ', async () => {
    const shifted = probabilities.map((p) => Math.min(1, p + 0.01));
    const result = await runApiSuite({ baseUrl, expected: { name: MODEL_INFO.name, version: '999' }, records: records(), probabilities: shifted, latencyRequests: 5 });
    expect(result.passed).toBe(false);
    const failed = Object.fromEntries(result.checks.filter((c) => !c.passed).map((c) => [c.name, c.detail]));
    expect(Object.keys(failed).sort()).toEqual(['model_version', 'predictions']);
    expect(failed.model_version).toMatch(/serves health-predict-readmission v7, but health-predict-readmission v999 was registered/);
    expect(failed.predictions).toMatch(/record 0: model_version 7, expected 999|record 0: the API says p = /);
  });

  it('fails the latency check when the p95 is over the budget (API_TEST_P95_MS), and passes it under a generous one', async () => {
    const expected = { name: MODEL_INFO.name, version: MODEL_INFO.version };
    const over = await runApiSuite({ baseUrl, expected, records: records(), latencyRequests: 20, p95BudgetMs: 0.001 });
    expect(over.passed).toBe(false);
    expect(over.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(['latency']);
    expect(over.checks.find((c) => c.name === 'latency')!.detail).toMatch(/^p95 of 20 sequential predictions is [\d.]+ ms, over the 0.001 ms budget \(API_TEST_P95_MS\)$/);
    const under = await runApiSuite({ baseUrl, expected, records: records(), latencyRequests: 20, p95BudgetMs: 60_000 });
    expect(under.checks.find((c) => c.name === 'latency')).toMatchObject({ passed: true, detail: expect.stringContaining('(budget 60000 ms)') });
  });

  it('reruns a check whose connection was reset, up to `retries` times', async () => {
    const proxy = await startFlakyProxy({ target: baseUrl, failures: 0 });
    try {
      const expected = { name: MODEL_INFO.name, version: MODEL_INFO.version };
      proxy.failNext(2, faults.reset);
      const retried = await runApiSuite({ baseUrl: proxy.endpoint, expected, records: records(), latencyRequests: 5, retries: 2 });
      expect(retried.checks.filter((c) => !c.passed)).toEqual([]);
      expect(proxy.faulted()).toBe(2);
      proxy.failNext(2, faults.reset);
      const notRetried = await runApiSuite({ baseUrl: proxy.endpoint, expected, records: records(), latencyRequests: 5, retries: 1 });
      expect(notRetried.checks[0]).toMatchObject({ name: 'health', passed: false, detail: expect.stringContaining('(after 1 retry)') });
    } finally {
      await proxy.close();
    }
  });

  it('fails the checks left when the whole test runs out of time, without running them', async () => {
    const deadline = new AbortController();
    deadline.abort(new Error('API_TEST_TIMEOUT reached'));
    const result = await runApiSuite({ baseUrl, expected: { name: MODEL_INFO.name, version: MODEL_INFO.version }, records: records(), signal: deadline.signal });
    expect(result.passed).toBe(false);
    expect(result.checks.every((c) => !c.passed && c.detail === 'not run: API_TEST_TIMEOUT reached')).toBe(true);
  });

  it('fails every check against an address where nothing listens, without throwing', async () => {
    const result = await runApiSuite({ baseUrl: 'http://127.0.0.1:9', expected: { name: MODEL_INFO.name, version: MODEL_INFO.version }, records: records(), latencyRequests: 2 });
    expect(result.passed).toBe(false);
    expect(result.checks.every((c) => !c.passed)).toBe(true);
    expect(result.checks[0]!.detail).toMatch(/fetch failed|ECONNREFUSED/);
  });
});
