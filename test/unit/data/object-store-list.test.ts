/** ObjectStore.list: every object under a folder-like prefix, sorted by key, on file:// and on a real moto S3. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore, fileUri } from '../../../src/data/object-store.ts';
import { BadDataError } from '../../../src/runtime/index.ts';
import { useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { createBucket, MOTO_SKIP_REASON, motoEnv, putText, TEST_CREDENTIALS, testS3 } from './moto.ts';

describe('list on file://', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hp-list-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = createObjectStore();

  it('lists files at any depth, sorted, with sizes; skips directories and files still being written', async () => {
    mkdirSync(path.join(dir, 'in/b/c'), { recursive: true });
    writeFileSync(path.join(dir, 'in/z.csv'), 'zz');
    writeFileSync(path.join(dir, 'in/a.csv'), 'a');
    writeFileSync(path.join(dir, 'in/b/c/deep.csv'), 'deep');
    writeFileSync(path.join(dir, 'in/a.csv.tmp-123-0a1b2c3d'), 'half');
    writeFileSync(path.join(dir, 'inside.csv'), 'not under in/');
    const listed = await store.list(fileUri(path.join(dir, 'in')));
    expect(listed).toEqual([
      { uri: fileUri(path.join(dir, 'in/a.csv')), size: 1 },
      { uri: fileUri(path.join(dir, 'in/b/c/deep.csv')), size: 4 },
      { uri: fileUri(path.join(dir, 'in/z.csv')), size: 2 },
    ]);
    expect(await store.list(`${fileUri(path.join(dir, 'in'))}/`)).toEqual(listed);
  });

  it('a prefix nothing was written under is empty; a file is refused', async () => {
    expect(await store.list(fileUri(path.join(dir, 'nothing-yet')))).toEqual([]);
    const error = await store.list(fileUri(path.join(dir, 'inside.csv'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/it is a file, not a directory/);
  });
});

describeWithService(MOTO_SKIP_REASON, 'list on s3:// against a real moto server', () => {
  const services = useServices(['moto']);
  const bucket = `list-${process.pid}-${Date.now()}`;
  const keys = Array.from({ length: 7 }, (_, i) => `arriving/${String(6 - i).padStart(2, '0')}.csv`);
  beforeAll(async () => {
    const s3 = testS3(services.s3Endpoint);
    await createBucket(s3, bucket);
    for (const key of keys) await putText(s3, bucket, key, `body of ${key}`);
    await putText(s3, bucket, 'arriving/', ''); // a console-made folder marker
    await putText(s3, bucket, 'arriving-not/x.csv', 'a sibling prefix, not under arriving/');
  });

  it('pages through ListObjectsV2, returns full URIs sorted by key with size and etag', async () => {
    const store = createObjectStore({ env: motoEnv(services.s3Endpoint), credentials: TEST_CREDENTIALS, listPageSize: 3 });
    const listed = await store.list(`s3://${bucket}/arriving`);
    expect(listed.map((o) => o.uri)).toEqual([...keys].sort().map((key) => `s3://${bucket}/${key}`));
    expect(listed[0]).toMatchObject({ size: 'body of arriving/00.csv'.length, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(await store.list(`s3://${bucket}/arriving/`)).toEqual(listed);
    expect(await store.list(`s3://${bucket}/nothing/`)).toEqual([]);
    expect((await store.list(`s3://${bucket}`)).length).toBe(8); // 7 + the sibling; the folder marker is no object
  });

  it('a missing bucket is BadDataError naming it', async () => {
    const store = createObjectStore({ env: motoEnv(services.s3Endpoint), credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const error = await store.list('s3://no-such-bucket-for-list/x/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/bucket 'no-such-bucket-for-list' does not exist/);
  });
});
