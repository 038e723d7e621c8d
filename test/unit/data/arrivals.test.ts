/**
 * The arrival cursor: held-back rows of a raw file taken batch by batch (file:// and a real moto
 * S3), objects arriving under a prefix taken oldest first, Airflow retries, and the refusals.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrivalCursorSchema, arrivedBatches, readCursor, takeNextBatch } from '../../../src/data/arrivals.ts';
import { readBatchRows } from '../../../src/data/batch-rows.ts';
import { formatRecord, parseCsv } from '../../../src/data/csv.ts';
import { createObjectStore, joinUri, type ObjectStore, sha256 } from '../../../src/data/object-store.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { BadDataError, ConfigurationError } from '../../../src/runtime/index.ts';
import { useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { mixedRows, rawCsv, rawRow, tempDir } from './fixtures.ts';
import { createBucket, MOTO_SKIP_REASON, motoEnv, putText, TEST_CREDENTIALS, testS3 } from './moto.ts';

// 1 000 raw rows: the origin initial set is rows 0–199, the held-back rows 200–999.
const RAW = synthesize({ rows: 1_000, seed: 3 });
const RAW_RECORDS = parseCsv(RAW);
/** What a batch of raw positions [from, to) must hold: the header and those rows, fields unchanged, LF line ends. */
const expectedBatch = (from: number, to: number) =>
  [RAW_RECORDS[0]!, ...RAW_RECORDS.slice(1 + from, 1 + to)].map((record) => formatRecord(record.fields)).join('');
const clock = (iso: string) => () => new Date(iso);

/** Takes batches from the held-back rows of RAW stored at `rawUri`; the same checks on any store. */
function heldBackLane(name: string, setup: () => Promise<{ store: ObjectStore; rawUri: string; monitoringUri: string; read: (uri: string) => Promise<string> }>) {
  describe(name, () => {
    let lane: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      lane = await setup();
    });
    const take = (dagRunId: string, batchSize = 300) =>
      takeNextBatch({ store: lane.store, monitoringUri: lane.monitoringUri, source: { kind: 'held_back', raw_uri: lane.rawUri }, batchSize, dagRunId, now: clock('2026-12-07T09:00:00Z') });

    it('takes the held-back rows in order, batch by batch, then says there is nothing new', async () => {
      expect(await readCursor(lane.store, lane.monitoringUri)).toBeUndefined();
      const first = await take('scheduled__1');
      expect(first.batch).toMatchObject({
        index: 1,
        uri: joinUri(lane.monitoringUri, 'batches/batch-0001.csv'),
        raw_rows: 300,
        source: { kind: 'held_back', raw_uri: lane.rawUri, first: 200, last: 499 },
        taken_at: '2026-12-07T09:00:00.000Z',
        dag_run_id: 'scheduled__1',
      });
      const text = await lane.read(first.batch!.uri);
      expect(text).toBe(expectedBatch(200, 500));
      expect(first.batch!.sha256).toBe(sha256(text));
      expect(first.batch!.bytes).toBe(Buffer.byteLength(text));

      // An Airflow retry of the same run gets the same batch, not the next one.
      const retried = await take('scheduled__1');
      expect(retried).toEqual({ batch: first.batch, repeated: true, cursor: await readCursor(lane.store, lane.monitoringUri) });
      expect(first.batch && arrivedBatches(first.cursor)).toEqual([first.batch]);

      const second = await take('scheduled__2');
      const third = await take('scheduled__3');
      expect([second.batch?.source, third.batch?.source]).toMatchObject([{ first: 500, last: 799 }, { first: 800, last: 999 }]);
      expect(third.batch!.raw_rows).toBe(200);
      expect(await lane.read(third.batch!.uri)).toBe(expectedBatch(800, 1_000));

      const none = await take('scheduled__4');
      expect(none).toEqual({ batch: null, reason: `all 800 held-back rows of ${lane.rawUri} (raw rows 200–999) were taken by 3 batch(es); nothing new` });

      const cursor = await readCursor(lane.store, lane.monitoringUri);
      expect(arrivalCursorSchema.parse(cursor)).toEqual(cursor);
      expect(cursor!.raw).toEqual({ sha256: sha256(RAW), bytes: Buffer.byteLength(RAW), rows: 1_000, held_back: { first: 200, last: 999 } });
      expect(arrivedBatches(cursor).map((b) => b.index)).toEqual([1, 2, 3]);
      expect(JSON.parse(await lane.read(joinUri(lane.monitoringUri, 'cursor.json')))).toEqual(cursor);
    });

    it('the batch reads back as the raw rows, validated and cleaned', async () => {
      const cursor = await readCursor(lane.store, lane.monitoringUri);
      const { rows, counts } = await readBatchRows(lane.store, cursor!.batches[0]!.uri);
      expect(counts.raw_rows).toBe(300);
      expect(counts.rows + counts.dropped).toBe(300);
      expect(rows).toHaveLength(counts.rows);
      expect(Object.keys(rows[0]!)).toContain('readmitted_binary');
    });

    it('refuses a cursor for another source, naming both and how to start over', async () => {
      const error = await takeNextBatch({
        store: lane.store,
        monitoringUri: lane.monitoringUri,
        source: { kind: 'prefix', uri: 's3://elsewhere/arriving/' },
        batchSize: 300,
        dagRunId: 'scheduled__5',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(
        `${joinUri(lane.monitoringUri, 'cursor.json')} follows the held-back rows of ${lane.rawUri}, but this run asks for the objects arriving under s3://elsewhere/arriving/. ` +
          `Pass the source the cursor was created for, use another monitoring prefix, or start over from the first batch by deleting ${joinUri(lane.monitoringUri, 'cursor.json')}.`,
      );
    });
  });
}

const files = tempDir('hp-arrivals-');
afterAll(() => files.cleanup());
const fileStore = createObjectStore();
const readFile = async (uri: string) => (await fileStore.get(uri)).body.toString('utf8');

heldBackLane('held-back rows on file://', async () => ({
  store: fileStore,
  rawUri: files.write('raw.csv', RAW),
  monitoringUri: files.uri('monitoring'),
  read: readFile,
}));

describeWithService(MOTO_SKIP_REASON, 'arrivals on a real moto S3', () => {
  const services = useServices(['moto']);
  const bucket = `arrivals-${process.pid}-${Date.now()}`;
  heldBackLane('held-back rows on s3://', async () => {
    const s3 = testS3(services.s3Endpoint);
    await createBucket(s3, bucket);
    await putText(s3, bucket, 'raw/diabetic_data.csv', RAW);
    const store = createObjectStore({ env: motoEnv(services.s3Endpoint), credentials: TEST_CREDENTIALS });
    return { store, rawUri: `s3://${bucket}/raw/diabetic_data.csv`, monitoringUri: `s3://${bucket}/monitoring`, read: async (uri) => (await store.get(uri)).body.toString('utf8') };
  });

  it('takes objects arriving under a prefix oldest key first, one a call, never its own batches', async () => {
    const s3 = testS3(services.s3Endpoint);
    const store = createObjectStore({ env: motoEnv(services.s3Endpoint), credentials: TEST_CREDENTIALS });
    const prefix = `s3://${bucket}/arriving/`;
    // The monitoring prefix inside the arrival prefix: its batches and cursor must not arrive again.
    const monitoringUri = `s3://${bucket}/arriving/_monitoring`;
    const take = (dagRunId: string) => takeNextBatch({ store, monitoringUri, source: { kind: 'prefix', uri: prefix }, batchSize: 1, dagRunId });
    await putText(s3, bucket, 'arriving/2026-12-02.csv', rawCsv(mixedRows(6)));
    await putText(s3, bucket, 'arriving/2026-12-01.csv', rawCsv(mixedRows(4)));

    const first = await take('run-1');
    expect(first.batch).toMatchObject({ index: 1, raw_rows: 4, source: { kind: 'object', uri: `s3://${bucket}/arriving/2026-12-01.csv`, size: rawCsv(mixedRows(4)).length } });
    expect((await store.get(first.batch!.uri)).body.toString()).toBe(rawCsv(mixedRows(4)));
    const second = await take('run-2');
    expect(second.batch).toMatchObject({ index: 2, raw_rows: 6, uri: `${monitoringUri}/batches/batch-0002.csv` });
    expect(await take('run-3')).toEqual({ batch: null, reason: `no new object under ${prefix} since the last batch (2 object(s) taken so far); nothing new` });

    await putText(s3, bucket, 'arriving/2026-12-03.csv', rawCsv(mixedRows(2)));
    expect((await take('run-4')).batch).toMatchObject({ index: 3, raw_rows: 2 });
  });

  it('an arriving object that is not valid raw data is refused, named, with the fix', async () => {
    const s3 = testS3(services.s3Endpoint);
    const store = createObjectStore({ env: motoEnv(services.s3Endpoint), credentials: TEST_CREDENTIALS });
    await putText(s3, bucket, 'bad-arriving/1.csv', rawCsv([rawRow({ age: 'old' })]));
    const error = await takeNextBatch({ store, monitoringUri: `s3://${bucket}/bad-monitoring`, source: { kind: 'prefix', uri: `s3://${bucket}/bad-arriving` }, batchSize: 1, dagRunId: 'r' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/bad-arriving\/1\.csv has 1 invalid value.*column 'age': "old" is not an age bracket/s);
    expect((error as Error).message).toMatch(/blocks the batches after it: fix it, or remove it from/);
    expect(await readCursor(store, `s3://${bucket}/bad-monitoring`)).toBeUndefined();
  });
});

describe('held-back refusals', () => {
  it('a raw file that changed since the cursor was created is refused, saying how to start over', async () => {
    const rawUri = files.write('changing.csv', RAW);
    const monitoringUri = files.uri('changing-monitoring');
    const take = (dagRunId: string) => takeNextBatch({ store: fileStore, monitoringUri, source: { kind: 'held_back', raw_uri: rawUri }, batchSize: 500, dagRunId });
    expect((await take('a')).batch).toMatchObject({ index: 1 });
    writeFileSync(fileURLToPath(rawUri), RAW.replace('Caucasian', 'Hispanic'));
    const error = await take('b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(new RegExp(`^${rawUri} changed since the arrival cursor was created \\(sha256 ${sha256(RAW)}, 1000 rows then;`));
    expect((error as Error).message).toMatch(/start over from the first batch by deleting .*changing-monitoring\/cursor\.json\.$/);
    expect(arrivedBatches(await readCursor(fileStore, monitoringUri))).toHaveLength(1);

    rmSync(fileURLToPath(joinUri(monitoringUri, 'cursor.json')));
    expect((await take('c')).batch).toMatchObject({ index: 1, source: { first: 200, last: 699 } });
  });

  it('a cursor that is not one, and a batch size that is not a count, are refused', async () => {
    const monitoringUri = files.uri('broken-monitoring');
    await fileStore.put(joinUri(monitoringUri, 'cursor.json'), '{"source": {"kind": "held_back"}}', 'application/json');
    const error = await readCursor(fileStore, monitoringUri).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/cursor\.json is not an arrival cursor: source\.raw_uri: .*start over from the first batch by deleting/);

    const rawUri = files.write('raw-for-size.csv', RAW);
    const bad = await takeNextBatch({ store: fileStore, monitoringUri: files.uri('size-monitoring'), source: { kind: 'held_back', raw_uri: rawUri }, batchSize: 0, dagRunId: 'r' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigurationError);
    expect((bad as Error).message).toMatch(/batch size is 0; it must be a whole number of raw rows >= 1/);
  });

  it('a tiny raw file: floor(4 · 20 %) = 0 initial rows, so all 4 rows are held back', async () => {
    const rawUri = files.write('tiny.csv', rawCsv(mixedRows(4)));
    const taken = await takeNextBatch({ store: fileStore, monitoringUri: files.uri('tiny-monitoring'), source: { kind: 'held_back', raw_uri: rawUri }, batchSize: 10, dagRunId: 'r' });
    expect(taken.batch).toMatchObject({ raw_rows: 4, source: { first: 0, last: 3 } });
  });
});
