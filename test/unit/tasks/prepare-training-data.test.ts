/**
 * The prepare-training-data task end to end, in-process through runTask (as Airflow would run
 * the bundle: HP_INPUT in, last stdout line out), against a real moto S3 server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCsv } from '../../../src/data/csv.ts';
import { type Manifest, manifestSchema } from '../../../src/data/manifest.ts';
import { sha256 } from '../../../src/data/object-store.ts';
import { CLEAN_COLUMNS, FEATURE_SPEC } from '../../../src/data/schema.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK } from '../../../src/runtime/index.ts';
import prepareTask from '../../../src/tasks/prepare-training-data.ts';
import { runInMemory } from '../runtime/helpers.ts';
import { tempDir } from '../data/fixtures.ts';
import { describeWithService } from '../../harness/skip.ts';
import { createBucket, freePort, getText, type Moto, MOTO_SKIP_REASON, motoEnv, putText, startMoto, testS3 } from '../data/moto.ts';
import { lateTcpProxy } from '../data/proxies.ts';

const RAW = synthesize({ rows: 3_000, seed: 11 });
const SOURCE = 's3://hp-data/raw/diabetic_data.csv';
const run = (input: object) => runInMemory(prepareTask, { HP_TASK_ID: 'prepare_training_data', HP_INPUT: JSON.stringify(input) });
const errorOf = (logs: Record<string, unknown>[]) => logs.find((l) => l.level === 'error') as { error_name: string; error_message: string } | undefined;

describeWithService(MOTO_SKIP_REASON, 'prepare-training-data against moto S3', () => {
  let moto: Moto;
  const tmp = tempDir('hp-prepare-');
  beforeAll(async () => {
    moto = await startMoto();
    const s3 = testS3(moto.endpoint);
    await createBucket(s3, 'hp-data');
    await putText(s3, 'hp-data', 'raw/diabetic_data.csv', RAW);
    for (const [name, value] of Object.entries({ ...motoEnv(moto.endpoint), HP_S3_RETRY_BASE_MS: '50', HP_S3_RETRY_MAX_MS: '200' })) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    tmp.cleanup();
    await moto?.stop();
  });

  it('writes the splits, features.json and manifest.json; the XCom is the manifest', async () => {
    const output = 's3://hp-data/prepared/run-1/';
    const { code, stdout, logs } = await run({ source_uri: SOURCE, output_uri: output });
    expect(errorOf(logs)).toBeUndefined();
    expect(code).toBe(EXIT_OK);
    const manifest: Manifest = manifestSchema.parse(JSON.parse(stdout.at(-1)!));
    const s3 = testS3(moto.endpoint);

    expect(manifest.source).toMatchObject({ uri: SOURCE, sha256: sha256(RAW), bytes: Buffer.byteLength(RAW), rows: 3_000 });
    expect(manifest.source.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(manifest.split).toMatchObject({ kind: 'origin', raw_rows: 3_000, initial_rows: 600 });
    expect(Object.keys(manifest.files)).toEqual(['train', 'validation', 'test', 'future']);
    expect(manifest.files.train).toMatchObject({ uri: 's3://hp-data/prepared/run-1/train.csv', raw_rows: 420 });
    expect([manifest.files.validation.raw_rows, manifest.files.test.raw_rows, manifest.files.future!.raw_rows]).toEqual([90, 90, 2_400]);
    const { rows_in, rows_dropped_excluded_discharge, rows_out } = manifest.cleaning;
    expect(rows_in).toBe(3_000);
    expect(rows_out).toBe(rows_in - rows_dropped_excluded_discharge);
    expect(rows_dropped_excluded_discharge).toBeGreaterThan(0);

    let total = 0;
    for (const file of Object.values(manifest.files)) {
      const text = await getText(s3, 'hp-data', file!.uri.replace('s3://hp-data/', ''));
      expect(sha256(text)).toBe(file!.sha256);
      expect(Buffer.byteLength(text)).toBe(file!.bytes);
      const records = parseCsv(text);
      expect(records[0]!.fields).toEqual([...CLEAN_COLUMNS]);
      const rows = records.slice(1).map((r) => r.fields);
      expect(rows).toHaveLength(file!.rows);
      expect(rows.filter((r) => r.at(-1) === '1')).toHaveLength(file!.positives);
      expect(file!.positive_rate).toBeCloseTo(file!.positives / file!.rows, 10);
      total += file!.rows;
    }
    expect(total).toBe(rows_out);

    expect(JSON.parse(await getText(s3, 'hp-data', 'prepared/run-1/features.json'))).toEqual(FEATURE_SPEC);
    expect(manifest.features_uri).toBe('s3://hp-data/prepared/run-1/features.json');
    expect(JSON.parse(await getText(s3, 'hp-data', 'prepared/run-1/manifest.json'))).toEqual(manifest);

    const messages = logs.map((l) => String(l.msg));
    expect(messages).toContainEqual(`read ${Buffer.byteLength(RAW)} bytes from ${SOURCE}`);
    expect(messages.find((m) => m.startsWith('parsed 3000 rows; dropped'))).toBeDefined();
    expect(messages.filter((m) => m.startsWith('wrote '))).toHaveLength(6); // 4 splits, features, manifest
    expect(logs.at(-1)).toMatchObject({ msg: 'task finished', outcome: 'success' });
  });

  it('honours a seeded random split (no future file) and reproduces it byte for byte', async () => {
    const split = { kind: 'random', fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 5 };
    const a = await run({ source_uri: SOURCE, output_uri: 's3://hp-data/prepared/random-a', split });
    const b = await run({ source_uri: SOURCE, output_uri: 's3://hp-data/prepared/random-b', split });
    expect([a.code, b.code]).toEqual([EXIT_OK, EXIT_OK]);
    const [ma, mb] = [a, b].map((r) => manifestSchema.parse(JSON.parse(r.stdout.at(-1)!)));
    expect(ma!.files.future).toBeUndefined();
    expect(ma!.split).toMatchObject({ kind: 'random', seed: 5, raw_rows: 3_000 });
    expect([ma!.files.train.raw_rows, ma!.files.validation.raw_rows, ma!.files.test.raw_rows]).toEqual([1_800, 600, 600]);
    for (const name of ['train', 'validation', 'test'] as const) expect(ma!.files[name].sha256).toBe(mb!.files[name].sha256);
  });

  it('survives an S3 endpoint that refuses connections for the first 2 s, with the retries in the logs', async () => {
    const port = await freePort();
    const proxy = lateTcpProxy(moto.endpoint, port, 2_000); // the endpoint comes up 2 s after the task starts
    try {
      vi.stubEnv('AWS_ENDPOINT_URL_S3', proxy.endpoint);
      vi.stubEnv('HP_S3_MAX_ATTEMPTS', '10');
      vi.stubEnv('HP_S3_RETRY_BASE_MS', '250');
      vi.stubEnv('HP_S3_RETRY_MAX_MS', '1000');
      const started = Date.now();
      const { code, stdout, logs } = await run({ source_uri: SOURCE, output_uri: 's3://hp-data/prepared/late' });
      expect(errorOf(logs)).toBeUndefined();
      expect(code).toBe(EXIT_OK);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      const retries = logs.filter((l) => l.level === 'warn' && l.op === 'get');
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(retries.map((l) => l.attempt)).toEqual(retries.map((_, i) => i + 1));
      expect(retries[0]).toMatchObject({ uri: SOURCE, max_attempts: 10 });
      expect(String(retries[0]!.error)).toMatch(/ECONNREFUSED/);
      expect(logs.find((l) => String(l.msg).startsWith(`S3 get of ${SOURCE} succeeded on attempt ${retries.length + 1}`))).toBeDefined();
      expect(manifestSchema.parse(JSON.parse(stdout.at(-1)!)).source.sha256).toBe(sha256(RAW));
    } finally {
      vi.stubEnv('AWS_ENDPOINT_URL_S3', moto.endpoint);
      vi.stubEnv('HP_S3_MAX_ATTEMPTS', '5');
      vi.stubEnv('HP_S3_RETRY_BASE_MS', '50');
      vi.stubEnv('HP_S3_RETRY_MAX_MS', '200');
      await proxy.close();
    }
  }, 60_000);

  it('trains on arrived batches: the initial set and the older batch in train, the newest batch cut 50/25/25 (exit 97 for a missing batch)', async () => {
    const s3 = testS3(moto.endpoint);
    await putText(s3, 'hp-data', 'monitoring/batches/batch-0001.csv', synthesize({ rows: 400, seed: 31 }));
    await putText(s3, 'hp-data', 'monitoring/batches/batch-0002.csv', synthesize({ rows: 800, seed: 32 }));
    const batches = ['s3://hp-data/monitoring/batches/batch-0001.csv', 's3://hp-data/monitoring/batches/batch-0002.csv'];
    const { code, stdout, logs } = await run({ source_uri: SOURCE, output_uri: 's3://hp-data/prepared/arrived', batches });
    expect(errorOf(logs)).toBeUndefined();
    expect(code).toBe(EXIT_OK);
    const manifest = manifestSchema.parse(JSON.parse(stdout.at(-1)!));
    expect(manifest.split).toMatchObject({ kind: 'arrived', reference: { uri: SOURCE, initial_rows: 600 }, newest: { uri: batches[1], train_rows: 400, validation_rows: 200, test_rows: 200 } });
    expect(Object.keys(manifest.files)).toEqual(['train', 'validation', 'test']);
    expect([manifest.files.train.raw_rows, manifest.files.validation.raw_rows, manifest.files.test.raw_rows]).toEqual([600 + 400 + 400, 200, 200]);
    expect(logs.map((l) => String(l.msg))).toContainEqual(
      `training on the 600 initial rows of ${SOURCE} and 2 arrived batch(es); validation and test are the newest batch's last 400 rows`,
    );

    const missing = await run({ source_uri: SOURCE, output_uri: 's3://hp-data/prepared/arrived-missing', batches: [batches[0], 's3://hp-data/monitoring/batches/batch-0003.csv'] });
    expect(missing.code).toBe(EXIT_NON_RETRYABLE);
    expect(errorOf(missing.logs)).toMatchObject({ error_name: 'BadDataError' });
    expect(errorOf(missing.logs)!.error_message).toMatch(/^batches\[1\] s3:\/\/hp-data\/monitoring\/batches\/batch-0003\.csv does not exist/);
  });

  it.each([
    ['a missing source key', { source_uri: 's3://hp-data/raw/nope.csv', output_uri: 's3://hp-data/out' }, /there is no object 'raw\/nope\.csv' in bucket 'hp-data'/],
    ['a missing source bucket', { source_uri: 's3://no-such-bucket/raw.csv', output_uri: 's3://hp-data/out' }, /bucket 'no-such-bucket' does not exist/],
    ['a missing output bucket', { source_uri: SOURCE, output_uri: 's3://missing-output/prepared' }, /S3 put of s3:\/\/missing-output\/prepared\/train\.csv failed: bucket 'missing-output' does not exist/],
  ])('%s fails with exit 97 and no retries', async (_, input, message) => {
    const { code, stdout, logs } = await run(input);
    expect(code).toBe(EXIT_NON_RETRYABLE);
    expect(stdout).toEqual([]);
    expect(errorOf(logs)).toMatchObject({ error_name: 'BadDataError' });
    expect(errorOf(logs)!.error_message).toMatch(message);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('reads a file:// source and writes to S3 or to file://', async () => {
    const source = tmp.write('diabetic_data.csv', RAW);
    const toS3 = await run({ source_uri: source, output_uri: 's3://hp-data/prepared/from-file' });
    expect(toS3.code).toBe(EXIT_OK);
    const toFile = await run({ source_uri: source, output_uri: tmp.uri('prepared') });
    expect(toFile.code).toBe(EXIT_OK);
    const manifest = manifestSchema.parse(JSON.parse(toFile.stdout.at(-1)!));
    expect(manifest.source).toMatchObject({ uri: source, sha256: sha256(RAW) });
    expect(manifest.source.etag).toBeUndefined();
    const train = readFileSync(path.join(tmp.dir, 'prepared', 'train.csv'));
    expect(sha256(train)).toBe(manifest.files.train.sha256);
    expect(manifest.files.train.sha256).toBe(manifestSchema.parse(JSON.parse(toS3.stdout.at(-1)!)).files.train.sha256);
    expect(JSON.parse(readFileSync(path.join(tmp.dir, 'prepared', 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('rejects an input URI that is neither s3:// nor file:/// before touching anything (exit 97)', async () => {
    const { code, logs } = await run({ source_uri: 'https://archive.ics.uci.edu/x.csv', output_uri: 's3://hp-data/out' });
    expect(code).toBe(EXIT_NON_RETRYABLE);
    expect(errorOf(logs)).toMatchObject({ error_name: 'InputContractError' });
    expect(errorOf(logs)!.error_message).toMatch(/source_uri .*must be an s3:\/\/bucket\/\.\.\. or file:\/\/\/absolute\/\.\.\. URI/);
  });
});
