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

  it('fails every check against an address where nothing listens, without throwing', async () => {
    const result = await runApiSuite({ baseUrl: 'http://127.0.0.1:9', expected: { name: MODEL_INFO.name, version: MODEL_INFO.version }, records: records(), latencyRequests: 2 });
    expect(result.passed).toBe(false);
    expect(result.checks.every((c) => !c.passed)).toBe(true);
    expect(result.checks[0]!.detail).toMatch(/fetch failed|ECONNREFUSED/);
  });
});
