import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, createObjectStore, fileUri, joinUri, ObjectStoreUnavailableError, parseUri, sha256 } from '../../../src/data/object-store.ts';
import { BadDataError, CredentialsRefusedError, NonRetryableError, exitCodeFor } from '../../../src/runtime/index.ts';
import { describeWithService } from '../../harness/skip.ts';
import { createBucket, getText, type Moto, MOTO_SKIP_REASON, motoEnv, putText, startMoto, TEST_CREDENTIALS, testS3 } from './moto.ts';
import { slowDownProxy } from './proxies.ts';

/** Collects what the store logs. */
function recorder() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    log: {
      warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj: object, msg: string) => void lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    },
  };
}
const fast = { baseDelayMs: 5, maxDelayMs: 20, credentials: TEST_CREDENTIALS };

describe('URIs', () => {
  it('parses s3 and file URIs and joins names onto prefixes', () => {
    expect(parseUri('s3://bucket/a/b.csv')).toEqual({ scheme: 's3', bucket: 'bucket', key: 'a/b.csv' });
    expect(parseUri('s3://bucket')).toEqual({ scheme: 's3', bucket: 'bucket', key: '' });
    expect(parseUri('file:///tmp/x%20y.csv')).toEqual({ scheme: 'file', path: '/tmp/x y.csv' });
    expect(joinUri('s3://b/prefix/', 'train.csv')).toBe('s3://b/prefix/train.csv');
    expect(joinUri('s3://b', 'train.csv')).toBe('s3://b/train.csv');
    expect(joinUri('file:///tmp/out', 'm.json')).toBe('file:///tmp/out/m.json');
  });

  it('refuses other schemes and relative file URIs as non-retryable input errors', () => {
    for (const uri of ['http://x/y', '/tmp/a.csv', 's3:///key', 'file://relative/path']) {
      expect(() => parseUri(uri)).toThrow(NonRetryableError);
    }
    expect(() => parseUri('gs://b/k')).toThrow(/Use s3:\/\/bucket\/key or file:\/\/\/absolute\/path/);
  });
});

describe('error classification', () => {
  const sdk = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it.each([
    [sdk('NoSuchKey', 404), 'missing'],
    [sdk('NoSuchBucket', 404), 'missing'],
    [sdk('NotFound', 404), 'missing'],
    [sdk('AccessDenied', 403), 'auth'],
    [sdk('InvalidAccessKeyId', 403), 'auth'],
    [sdk('SignatureDoesNotMatch', 403), 'auth'],
    [sdk('CredentialsProviderError'), 'auth'],
    [sdk('SlowDown', 503), 'transient'],
    [sdk('InternalError', 500), 'transient'],
    [sdk('Whatever', 502), 'transient'],
    [sdk('TooManyRequestsException', 429), 'transient'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'transient'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'transient'],
    [new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''), 'transient'],
    [sdk('InvalidBucketName', 400), 'rejected'],
    [new TypeError('x is not a function'), 'unknown'],
  ])('%s → %s', (error, kind) => {
    expect(classify(error)).toBe(kind);
  });
});

describe('file:// objects', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hp-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = createObjectStore();

  it('puts (creating directories), gets and checks existence', async () => {
    const uri = fileUri(path.join(dir, 'nested/deeper/a.csv'));
    expect(await store.exists(uri)).toBe(false);
    await store.put(uri, 'a,b\n1,2\n', 'text/csv');
    expect(readFileSync(path.join(dir, 'nested/deeper/a.csv'), 'utf8')).toBe('a,b\n1,2\n');
    const got = await store.get(uri);
    expect(got).toEqual({ body: Buffer.from('a,b\n1,2\n'), size: 8 });
    expect(await store.exists(uri)).toBe(true);
  });

  it('a missing file is bad data naming the URI', async () => {
    const uri = fileUri(path.join(dir, 'nope.csv'));
    const error = await store.get(uri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toContain(`Cannot read ${uri}: the file does not exist`);
  });

  it('streams a file, and uploads a local file; a missing file or a directory is bad data', async () => {
    const local = path.join(dir, 'local.csv');
    writeFileSync(local, 'x,y\n3,4\n');
    const uri = fileUri(path.join(dir, 'copied/b.csv'));
    expect(await store.putFile(uri, local, 'text/csv')).toEqual({});
    const streamed = await store.getStream(uri);
    expect(streamed.size).toBe(8);
    expect(await text(streamed.body)).toBe('x,y\n3,4\n');
    for (const [target, message] of [
      [fileUri(path.join(dir, 'nope.csv')), 'the file does not exist'],
      [fileUri(dir), 'it is a directory'],
    ] as const) {
      const error = await store.getStream(target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadDataError);
      expect((error as Error).message).toContain(`Cannot read ${target}: ${message}`);
    }
  });
});

describeWithService(MOTO_SKIP_REASON, 's3:// objects against a real moto server', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    const s3 = testS3(moto.endpoint);
    await createBucket(s3, 'data');
    await putText(s3, 'data', 'raw/hello.txt', 'hello');
  });
  afterAll(async () => moto?.stop());

  it('gets, puts and checks existence; etag and size are reported', async () => {
    const store = createObjectStore({ ...fast, env: motoEnv(moto.endpoint) });
    const got = await store.get('s3://data/raw/hello.txt');
    expect(got.body.toString()).toBe('hello');
    expect(got.size).toBe(5);
    expect(got.etag).toMatch(/^[0-9a-f]{32}$/); // quotes stripped
    const body = Buffer.from('x'.repeat(100_000));
    const put = await store.put('s3://data/out/big.bin', body, 'application/octet-stream');
    expect(put.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(sha256(Buffer.from(await getText(testS3(moto.endpoint), 'data', 'out/big.bin')))).toBe(sha256(body));
    expect(await store.exists('s3://data/out/big.bin')).toBe(true);
    expect(await store.exists('s3://data/out/none.bin')).toBe(false);
    expect(await store.exists('s3://no-such-bucket/x')).toBe(false);
  });

  it('streams an object and uploads a local file from disk', async () => {
    const store = createObjectStore({ ...fast, env: motoEnv(moto.endpoint) });
    const streamed = await store.getStream('s3://data/raw/hello.txt');
    expect(streamed.size).toBe(5);
    expect(streamed.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(await text(streamed.body)).toBe('hello');
    const local = path.join(mkdtempSync(path.join(tmpdir(), 'hp-store-')), 'up.csv');
    writeFileSync(local, 'z'.repeat(300_000));
    const put = await store.putFile('s3://data/out/up.csv', local, 'text/csv');
    expect(put.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(await getText(testS3(moto.endpoint), 'data', 'out/up.csv')).toBe('z'.repeat(300_000));
    rmSync(path.dirname(local), { recursive: true, force: true });
    const missing = await store.getStream('s3://data/raw/none.txt').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadDataError);
  });

  it('a missing key or bucket is BadDataError at once (no retries), naming the URI and the fix', async () => {
    const { lines, log } = recorder();
    const store = createObjectStore({ ...fast, env: motoEnv(moto.endpoint), log });
    const key = await store.get('s3://data/raw/missing.csv').then(() => undefined, (e: unknown) => e as Error);
    expect(key).toBeInstanceOf(BadDataError);
    expect(key!.message).toMatch(/S3 get of s3:\/\/data\/raw\/missing\.csv failed: there is no object 'raw\/missing\.csv' in bucket 'data'.*Upload it/);
    const bucket = await store.put('s3://nobucket/x.csv', 'x', 'text/csv').then(() => undefined, (e: unknown) => e as Error);
    expect(bucket).toBeInstanceOf(BadDataError);
    expect(bucket!.message).toMatch(/bucket 'nobucket' does not exist.*aws s3 mb s3:\/\/nobucket/);
    expect(exitCodeFor(bucket)).toBe(97);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('retries 503 SlowDown with logged attempt numbers, then succeeds', async () => {
    const proxy = await slowDownProxy(moto.endpoint, 3);
    try {
      const { lines, log } = recorder();
      const store = createObjectStore({ ...fast, env: motoEnv(proxy.endpoint), log, maxAttempts: 5 });
      expect((await store.get('s3://data/raw/hello.txt')).body.toString()).toBe('hello');
      const retries = lines.filter((l) => l.level === 'warn');
      expect(retries.map((l) => l.obj.attempt)).toEqual([1, 2, 3]);
      expect(retries[0]!.obj).toMatchObject({ op: 'get', uri: 's3://data/raw/hello.txt', max_attempts: 5 });
      expect(retries[0]!.msg).toMatch(/failed on attempt 1\/5 \(SlowDown HTTP 503: Please reduce your request rate\.\); retrying in \d+ ms/);
      expect(lines.at(-1)).toMatchObject({ level: 'info', obj: { attempt: 4 } });
      expect(proxy.seen()).toBe(4); // the SDK did not retry on its own
    } finally {
      await proxy.close();
    }
  });

  it('gives up after maxAttempts with a retryable error (Airflow retries the task)', async () => {
    const proxy = await slowDownProxy(moto.endpoint, 100);
    try {
      const { lines, log } = recorder();
      const store = createObjectStore({ ...fast, env: motoEnv(proxy.endpoint), log, maxAttempts: 3 });
      const error = await store.put('s3://data/x', 'x', 'text/plain').then(() => undefined, (e: unknown) => e as Error);
      expect(error).toBeInstanceOf(ObjectStoreUnavailableError);
      expect(error!.message).toMatch(/S3 put of s3:\/\/data\/x failed 3 time\(s\) with transient errors \(last: SlowDown HTTP 503/);
      expect(exitCodeFor(error)).toBe(1);
      expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
      expect(proxy.seen()).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  it('backs off exponentially with equal jitter, capped', async () => {
    const delays: number[] = [];
    const store = createObjectStore({
      env: motoEnv('http://127.0.0.1:1'), // nothing listens on port 1: connection refused
      credentials: TEST_CREDENTIALS,
      maxAttempts: 6,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 1,
      sleep: async (ms) => void delays.push(ms),
    });
    await expect(store.get('s3://data/raw/hello.txt')).rejects.toThrow(/failed 6 time\(s\) with transient errors \(last: .*ECONNREFUSED/);
    expect(delays).toEqual([100, 200, 400, 800, 1_000]);
  });
});

describeWithService(MOTO_SKIP_REASON, 'refused credentials against moto with authentication on', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '0' } });
  });
  afterAll(async () => moto?.stop());

  it('InvalidAccessKeyId is CredentialsRefusedError (exit 97), not retried', async () => {
    const { lines, log } = recorder();
    const store = createObjectStore({ ...fast, env: motoEnv(moto.endpoint), log });
    for (const call of [() => store.get('s3://data/raw.csv'), () => store.put('s3://data/out.csv', 'x', 'text/csv'), () => store.exists('s3://data/raw.csv')]) {
      const error = await call().then(() => undefined, (e: unknown) => e as Error);
      expect(error).toBeInstanceOf(CredentialsRefusedError);
      expect(error!.message).toMatch(/was refused: .*HTTP 403.*fix AWS_ACCESS_KEY_ID/);
      expect(exitCodeFor(error)).toBe(97);
    }
    expect(lines).toEqual([]);
  });
});
