/** The MLflow client's pure parts: batching, error classification, artifact paths, credentials hygiene. */
import { describe, expect, it } from 'vitest';
import { encodeArtifactPath, proxyRoot } from '../../../src/registry/artifacts.ts';
import { BATCH_LIMITS, chunkBatch, wireValue } from '../../../src/registry/batch.ts';
import {
  MlflowAuthError,
  MlflowBadRequestError,
  MlflowConflictError,
  MlflowNotFoundError,
  MlflowProtocolError,
  MlflowUnavailableError,
  errorFromResponse,
  isMissingAlias,
} from '../../../src/registry/errors.ts';
import { createMlflowClient } from '../../../src/registry/index.ts';
import { exitCodeFor } from '../../../src/runtime/errors.ts';

describe('chunkBatch', () => {
  const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: 'loss', value: i / 10, step: i, timestamp: 1 }));

  it('splits 2500 metrics into 1000 + 1000 + 500', () => {
    expect(chunkBatch({ metrics: metrics(2500) }).map((c) => c.metrics.length)).toEqual([1000, 1000, 500]);
  });

  it('keeps params and tags at ≤100 each and ≤1000 entities per request', () => {
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i]));
    const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, 'x']));
    const chunks = chunkBatch({ params, tags, metrics: metrics(1900) });
    for (const c of chunks) {
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.tags.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length).toBeLessThanOrEqual(1000);
      expect(c.params.length + c.tags.length + c.metrics.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.params)).toHaveLength(250);
    expect(chunks.flatMap((c) => c.tags)).toHaveLength(120);
    expect(chunks.flatMap((c) => c.metrics)).toHaveLength(1900);
    expect(chunks[0]!.params[0]).toEqual({ key: 'p0', value: '0' });
    expect(chunks).toHaveLength(3); // 2270 entities, 250 params: three requests are enough
  });

  it('keeps each request body under the byte limit', () => {
    const big = 'x'.repeat(6_000);
    const params = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, big]));
    const tags = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`t${i}`, big]));
    const chunks = chunkBatch({ params, tags });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(Buffer.byteLength(JSON.stringify({ run_id: 'r'.repeat(32), ...c }))).toBeLessThan(BATCH_LIMITS.bytes);
  });

  it('sends NaN and ±Infinity as strings and fills timestamp and step', () => {
    expect([NaN, Infinity, -Infinity, 1.5].map(wireValue)).toEqual(['NaN', 'Infinity', '-Infinity', 1.5]);
    const [chunk] = chunkBatch({ metrics: [{ key: 'a', value: NaN }] }, BATCH_LIMITS, 1234);
    expect(chunk!.metrics[0]).toEqual({ key: 'a', value: 'NaN', timestamp: 1234, step: 0 });
    expect(chunkBatch({})).toEqual([]);
  });
});

describe('errorFromResponse', () => {
  const body = (code: string, message = 'm') => JSON.stringify({ error_code: code, message });

  it('classifies by error_code first', () => {
    expect(errorFromResponse('GET', '/p', 404, body('RESOURCE_DOES_NOT_EXIST'))).toBeInstanceOf(MlflowNotFoundError);
    const conflict = errorFromResponse('POST', '/api/2.0/mlflow/experiments/create', 400, body('RESOURCE_ALREADY_EXISTS', 'exists'));
    expect(conflict).toBeInstanceOf(MlflowConflictError);
    expect(conflict).toMatchObject({ errorCode: 'RESOURCE_ALREADY_EXISTS', status: 400, method: 'POST', path: '/api/2.0/mlflow/experiments/create', retryable: false });
    expect(conflict.message).toBe('MLflow POST /api/2.0/mlflow/experiments/create failed: HTTP 400 RESOURCE_ALREADY_EXISTS: exists');
    expect(errorFromResponse('POST', '/p', 400, body('INVALID_PARAMETER_VALUE'))).toBeInstanceOf(MlflowBadRequestError);
    expect(errorFromResponse('POST', '/p', 400, body('TEMPORARILY_UNAVAILABLE'))).toBeInstanceOf(MlflowUnavailableError);
  });

  it('treats 5xx and 429 as retryable unavailability, 4xx as final', () => {
    for (const status of [500, 502, 503, 504, 429]) {
      const error = errorFromResponse('GET', '/p', status, '<html>bad gateway</html>');
      expect(error).toBeInstanceOf(MlflowUnavailableError);
      expect(error.retryable).toBe(true);
      expect(exitCodeFor(error)).not.toBe(exitCodeFor(errorFromResponse('GET', '/p', 400, body('INVALID_PARAMETER_VALUE'))));
    }
  });

  it('explains the Host-header check, auth refusals and non-MLflow answers', () => {
    const host = errorFromResponse('GET', '/p', 403, 'Invalid Host header - possible DNS rebinding attack detected');
    expect(host).toBeInstanceOf(MlflowAuthError);
    expect(host.message).toMatch(/--allowed-hosts/);
    expect(errorFromResponse('GET', '/p', 401, '')).toBeInstanceOf(MlflowAuthError);
    const html = errorFromResponse('GET', '/api/2.0/mlflow/nope', 404, '<!doctype html><title>404 Not Found</title>');
    expect(html).toBeInstanceOf(MlflowProtocolError);
    expect(html.message).toMatch(/Is the tracking URI an MLflow server/);
  });

  it('shortens long server messages (sqlite dumps) to one line', () => {
    const error = errorFromResponse('POST', '/p', 400, body('RESOURCE_ALREADY_EXISTS', `exists\n[SQL: ${'x'.repeat(2000)}]`));
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).not.toContain('\n');
  });

  it('recognises a missing alias (400 INVALID_PARAMETER_VALUE, not 404)', () => {
    expect(isMissingAlias(errorFromResponse('GET', '/p', 400, body('INVALID_PARAMETER_VALUE', 'Registered model alias prod not found.')))).toBe(true);
    expect(isMissingAlias(errorFromResponse('GET', '/p', 400, body('INVALID_PARAMETER_VALUE', 'Missing value for required parameter')))).toBe(false);
  });
});

describe('artifact paths', () => {
  it('maps artifact URIs to proxy paths', () => {
    expect(proxyRoot('mlflow-artifacts:/1/abc/artifacts', 'abc')).toBe('1/abc/artifacts');
    expect(proxyRoot('mlflow-artifacts://mlflow:5000/1/abc/artifacts/', 'abc')).toBe('1/abc/artifacts');
    expect(() => proxyRoot('s3://bucket/1/abc/artifacts', 'abc')).toThrow(/artifact proxy/);
    expect(() => proxyRoot('/var/mlruns/1/abc/artifacts', 'abc')).toThrow(/artifact proxy/);
  });

  it('encodes segments and refuses escapes', () => {
    expect(encodeArtifactPath('model/my model+v1.onnx')).toBe('model/my%20model%2Bv1.onnx');
    for (const bad of ['', '/abs', 'a/../b', 'a//b', './a', 'a\\b']) expect(() => encodeArtifactPath(bad)).toThrow(MlflowBadRequestError);
  });
});

describe('transport', () => {
  it('moves userinfo to basic auth and keeps it out of URLs and messages', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(url), auth: new Headers(init?.headers).get('authorization') });
      return new Response('upstream exploded', { status: 502 });
    }) as typeof fetch;
    const client = createMlflowClient({ trackingUri: 'http://alice:s3cret@mlflow.test:5000/', fetch: fakeFetch, retry: { attempts: 2, baseDelayMs: 1 } });
    expect(client.trackingUri).toBe('http://mlflow.test:5000');
    const error = await client.experiments.getByName('x').catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect((error as Error).message).not.toContain('s3cret');
    expect((error as Error).message).toMatch(/gave up after 2 attempts/);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.url).toBe('http://mlflow.test:5000/api/2.0/mlflow/experiments/get-by-name?experiment_name=x');
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  });

  it('rejects answers of the wrong shape as protocol errors, without retrying', async () => {
    let calls = 0;
    const fakeFetch = (async () => {
      calls++;
      return Response.json({ experiment: { name: 42 } });
    }) as typeof fetch;
    const client = createMlflowClient({ trackingUri: 'http://mlflow.test', fetch: fakeFetch });
    await expect(client.experiments.get('1')).rejects.toThrow(MlflowProtocolError);
    expect(calls).toBe(1);
  });

  it('refuses non-http tracking URIs', () => {
    expect(() => createMlflowClient({ trackingUri: 'sqlite:///mlflow.db' })).toThrow(/http\(s\)/);
    expect(() => createMlflowClient({ trackingUri: 'not a url' })).toThrow(/not a URL/);
  });
});
