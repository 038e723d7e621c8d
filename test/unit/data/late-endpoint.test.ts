/**
 * S3 fault "server started late", with the production retry budget: the S3 endpoint does not
 * listen when prepare-training-data starts (connections refused) and comes up 3 s later.
 * The endpoint is a TCP forwarder in front of the harness's moto that starts listening late.
 *
 * Default budget (src/data/object-store.ts): 5 tries, delays d/2 + U(0, d/2) with d = 1, 2,
 * 4, 8 s, so the 5th try starts 7.5–15 s after the first: any endpoint that is up within
 * 7.5 s is reached inside the task; longer outages fail retryably and are Airflow's to retry.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { manifestSchema } from '../../../src/data/manifest.ts';
import { sha256 } from '../../../src/data/object-store.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { EXIT_OK } from '../../../src/runtime/index.ts';
import prepareTask from '../../../src/tasks/prepare-training-data.ts';
import { useServices } from '../../harness/services.ts';
import { runInMemory } from '../runtime/helpers.ts';
import { createBucket, freePort, getText, motoEnv, putText, testS3 } from './moto.ts';
import { lateTcpProxy } from './proxies.ts';

const services = useServices(['moto']);
const RAW = synthesize({ rows: 2_000, seed: 23 });
const BUCKET = `late-endpoint-${process.pid}-${Date.now()}`;
const SOURCE = `s3://${BUCKET}/raw/diabetic_data.csv`;
const LATE_BY_MS = 3_000;

beforeAll(async () => {
  const s3 = testS3(services.s3Endpoint);
  await createBucket(s3, BUCKET);
  await putText(s3, BUCKET, 'raw/diabetic_data.csv', RAW);
});
afterAll(() => vi.unstubAllEnvs());

describe('prepare-training-data when the S3 endpoint starts late', () => {
  it(`reads the raw file through the default retries once the endpoint listens (${LATE_BY_MS} ms late)`, async () => {
    const proxy = lateTcpProxy(services.s3Endpoint, await freePort(), LATE_BY_MS);
    const listened = proxy.listening.then(() => true, (error: unknown) => error);
    try {
      for (const [name, value] of Object.entries(motoEnv(proxy.endpoint))) vi.stubEnv(name, value);
      for (const knob of ['HP_S3_MAX_ATTEMPTS', 'HP_S3_RETRY_BASE_MS', 'HP_S3_RETRY_MAX_MS']) vi.stubEnv(knob, undefined);

      const { code, stdout, logs } = await runInMemory(prepareTask, {
        HP_TASK_ID: 'prepare_training_data',
        HP_INPUT: JSON.stringify({ source_uri: SOURCE, output_uri: `s3://${BUCKET}/prepared/late` }),
      });
      expect(logs.find((l) => l.level === 'error')).toBeUndefined();
      expect(code).toBe(EXIT_OK);
      expect(await listened).toBe(true);

      // The refused tries are logged with their attempt numbers, the default budget and a real backoff.
      const retries = logs.filter((l) => l.level === 'warn' && l.op === 'get');
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries.length).toBeLessThan(5);
      expect(retries.map((l) => l.attempt)).toEqual(retries.map((_, i) => i + 1));
      for (const retry of retries) {
        expect(retry).toMatchObject({ uri: SOURCE, max_attempts: 5 });
        expect(String(retry.error)).toMatch(/ECONNREFUSED/);
      }
      expect(retries[0]!.delay_ms).toBeGreaterThanOrEqual(500); // 1 s base, equal jitter
      expect(String(retries[0]!.msg)).toMatch(new RegExp(`S3 get of ${SOURCE} failed on attempt 1/5 \\(.*ECONNREFUSED.*\\); retrying in \\d+ ms`));
      const succeeded = logs.find((l) => String(l.msg).startsWith(`S3 get of ${SOURCE} succeeded on attempt`));
      expect(succeeded).toMatchObject({ level: 'info', op: 'get', attempt: retries.length + 1 });
      // Nothing else had to retry once the endpoint was up.
      expect(logs.filter((l) => l.level === 'warn' && l.op !== 'get')).toEqual([]);

      // The data went through the late endpoint and the task's output is complete.
      expect(proxy.seen()).toBeGreaterThan(0);
      const manifest = manifestSchema.parse(JSON.parse(stdout.at(-1)!));
      expect(manifest.source).toMatchObject({ uri: SOURCE, sha256: sha256(RAW), rows: 2_000 });
      const s3 = testS3(services.s3Endpoint);
      expect(sha256(await getText(s3, BUCKET, 'prepared/late/train.csv'))).toBe(manifest.files.train.sha256);
      expect(JSON.parse(await getText(s3, BUCKET, 'prepared/late/manifest.json'))).toEqual(manifest);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
