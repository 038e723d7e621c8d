/** The fault-injecting proxy in front of a real moto server, as the data tests use it. */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { type FlakyProxy, faults, startFlakyProxy } from '../../harness/flaky-proxy.ts';
import { useServices } from '../../harness/services.ts';

const services = useServices(['moto']);
const proxies: FlakyProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

const s3 = (endpoint: string, maxAttempts: number) =>
  new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

describe('flaky proxy', () => {
  it('answers the first N requests with 503 SlowDown, then forwards to moto', async () => {
    const direct = s3(services.s3Endpoint, 1);
    const bucket = `flaky-${Date.now()}`;
    await direct.send(new CreateBucketCommand({ Bucket: bucket }));
    const proxy = await startFlakyProxy({ target: services.s3Endpoint, failures: 2 });
    proxies.push(proxy);

    const once = await s3(proxy.endpoint, 1).send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' })).catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } });
    expect(once).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });

    const retrying = s3(proxy.endpoint, 3);
    await retrying.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' })); // 1 more fault, then through
    expect(proxy.log.map((e) => e.outcome)).toEqual(['status', 'status', 'forwarded']);
    expect(proxy.faulted()).toBe(2);
    const got = await retrying.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('v');
  });

  it('drops connections and can be re-armed', async () => {
    const proxy = await startFlakyProxy({ target: services.s3Endpoint, failures: 1, fault: faults.reset });
    proxies.push(proxy);
    await expect(fetch(`${proxy.endpoint}/`)).rejects.toThrow();
    expect((await fetch(`${proxy.endpoint}/`)).status).toBe(200);
    proxy.failNext(1, faults.status(500, 'boom'));
    const failed = await fetch(`${proxy.endpoint}/`);
    expect([failed.status, await failed.text()]).toEqual([500, 'boom']);
    expect(proxy.requests()).toBe(3);
  });

});
