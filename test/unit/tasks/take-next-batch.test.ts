/**
 * take-next-batch against a real MLflow and file:// object store: skipped without a production
 * model (no batch taken, so none goes unmeasured); with one, the held-back rows of a synthetic
 * raw file arrive batch by batch, a retry of a DAG run gets its batch again, an exhausted source
 * is a skip with the reason; with arrivals_uri, each run takes the oldest new file.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CURSOR_FILE, readCursor } from '../../../src/data/arrivals.ts';
import { formatRecord, parseCsv } from '../../../src/data/csv.ts';
import { createObjectStore, joinUri } from '../../../src/data/object-store.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { takenBatchSchema } from '../../../src/pipeline/contract/drift.ts';
import { EXIT_OK, EXIT_SKIP } from '../../../src/runtime/index.ts';
import takeTask from '../../../src/tasks/take-next-batch.ts';
import { useServices } from '../../harness/services.ts';
import { type ApiFixture, buildApiFixture } from '../api/api-fixture.ts';
import { tempDir } from '../data/fixtures.ts';
import { client, unique } from '../registry/helpers.ts';
import { promoteFixtureModel, runDriftTask } from './drift-fixtures.ts';
import { problemsOf } from './run-as-airflow.ts';

// 1 000 raw rows: the origin initial set is rows 0–199, the held-back rows 200–999.
const RAW = synthesize({ rows: 1_000, seed: 3 });
const RAW_RECORDS = parseCsv(RAW);
const BATCH_SIZE = 300;
/** The raw CSV a batch of raw positions [from, to) must hold: the header and those rows, fields unchanged. */
const expectedBatch = (from: number, to: number) => [RAW_RECORDS[0]!, ...RAW_RECORDS.slice(1 + from, 1 + to)].map((record) => formatRecord(record.fields)).join('');

const services = useServices(['mlflow']);
const tmp = tempDir('hp-take-batch-');
const store = createObjectStore();
const MODEL_NAME = unique('drift-take-batch');
let fixture: ApiFixture;
let rawUri: string;

const take = (input: object, runId: string, tryNumber = 1) => runDriftTask(takeTask, 'take_next_batch', input, { runId, tryNumber });
const text = async (uri: string) => (await store.get(uri)).body.toString('utf8');

beforeAll(async () => {
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
  vi.stubEnv('MODEL_NAME', MODEL_NAME);
  rawUri = tmp.write('diabetic_data.csv', RAW);
  fixture = buildApiFixture({ modelType: 'lr', rows: 800, seed: 5 });
}, 240_000);
afterAll(() => {
  vi.unstubAllEnvs();
  fixture?.cleanup();
  tmp.cleanup();
});

describe('take-next-batch', () => {
  it('skips with the reason, and takes no batch, while no model is in production', async () => {
    const monitoringUri = tmp.uri('monitoring-none');
    const result = await take({ raw_data_uri: rawUri, batch_size: BATCH_SIZE, monitoring_uri: monitoringUri }, 'scheduled__none');
    expect(result.code, problemsOf(result)).toBe(EXIT_SKIP);
    expect(result.skipReason).toBe(
      `No version of '${MODEL_NAME}' is in production yet, so there is nothing to measure drift against; no batch was taken. Run health_predict_continuous_improvement first.`,
    );
    expect(existsSync(path.join(tmp.dir, 'monitoring-none', CURSOR_FILE))).toBe(false);
    expect(existsSync(path.join(tmp.dir, 'monitoring-none'))).toBe(false);
  });

  describe('with a model in production', () => {
    beforeAll(async () => {
      const mlflow = client(services.mlflowUri);
      const { experimentId } = await mlflow.experiments.getOrCreate(unique('drift-take-batch'));
      await promoteFixtureModel(mlflow, MODEL_NAME, experimentId, fixture);
    }, 120_000);

    it('takes the held-back rows batch by batch, oldest first; a retry gets its batch again; then skips: nothing new', async () => {
      const monitoringUri = tmp.uri('monitoring-held-back');
      const input = { raw_data_uri: rawUri, batch_size: BATCH_SIZE, monitoring_uri: monitoringUri };
      const batchUri = (index: number) => joinUri(monitoringUri, `batches/batch-000${index}.csv`);

      const first = await take(input, 'scheduled__1');
      expect(first.code, problemsOf(first)).toBe(EXIT_OK);
      const taken = takenBatchSchema.parse(first.output);
      expect(taken).toMatchObject({
        batch: { index: 1, uri: batchUri(1), raw_rows: 300, source: { kind: 'held_back', raw_uri: rawUri, first: 200, last: 499 }, dag_run_id: 'scheduled__1' },
        source: { kind: 'held_back', raw_uri: rawUri },
        arrived: [batchUri(1)],
      });
      expect(await text(batchUri(1))).toBe(expectedBatch(200, 500));

      const second = await take(input, 'scheduled__2');
      expect(second.code, problemsOf(second)).toBe(EXIT_OK);
      expect(takenBatchSchema.parse(second.output)).toMatchObject({ batch: { index: 2, source: { first: 500, last: 799 } }, arrived: [batchUri(1), batchUri(2)] });
      expect(await text(batchUri(2))).toBe(expectedBatch(500, 800));

      // Airflow retries scheduled__2's task: the same batch, not the next one.
      const retried = await take(input, 'scheduled__2', 2);
      expect(retried.code, problemsOf(retried)).toBe(EXIT_OK);
      expect(retried.output).toEqual(second.output);
      expect(retried.logs.map((l) => String(l.msg))).toContainEqual(expect.stringMatching(/^took again \(a retry of this DAG run\) batch 2: 300 raw rows/));

      const third = await take(input, 'scheduled__3');
      expect(third.output).toMatchObject({ batch: { index: 3, raw_rows: 200, source: { first: 800, last: 999 } }, arrived: [batchUri(1), batchUri(2), batchUri(3)] });
      const cursor = await text(joinUri(monitoringUri, CURSOR_FILE));

      const exhausted = await take(input, 'scheduled__4');
      expect(exhausted.code, problemsOf(exhausted)).toBe(EXIT_SKIP);
      expect(exhausted.skipReason).toBe(`all 800 held-back rows of ${rawUri} (raw rows 200–999) were taken by 3 batch(es); nothing new`);
      expect(await text(joinUri(monitoringUri, CURSOR_FILE))).toBe(cursor);
    });

    it('with arrivals_uri, takes the oldest file not taken yet, one a run, then skips: nothing new', async () => {
      const arriving = path.join(tmp.dir, 'arriving');
      mkdirSync(arriving);
      writeFileSync(path.join(arriving, '2026-12-07-a.csv'), expectedBatch(0, 40));
      writeFileSync(path.join(arriving, '2026-12-07-b.csv'), expectedBatch(40, 100));
      const arrivalsUri = `${tmp.uri('arriving')}/`;
      // The monitoring prefix inside the arrival prefix: its own batches are never taken as arrivals.
      const monitoringUri = tmp.uri('arriving/monitoring');
      const input = { raw_data_uri: rawUri, arrivals_uri: arrivalsUri, batch_size: BATCH_SIZE, monitoring_uri: monitoringUri };

      const first = await take(input, 'scheduled__a');
      expect(first.code, problemsOf(first)).toBe(EXIT_OK);
      expect(takenBatchSchema.parse(first.output)).toMatchObject({
        batch: { index: 1, raw_rows: 40, source: { kind: 'object', uri: tmp.uri('arriving/2026-12-07-a.csv') } },
        source: { kind: 'prefix', uri: arrivalsUri },
      });
      const second = await take(input, 'scheduled__b');
      expect(second.output).toMatchObject({ batch: { index: 2, raw_rows: 60, source: { kind: 'object', uri: tmp.uri('arriving/2026-12-07-b.csv') } } });
      expect(second.output!.arrived).toHaveLength(2);
      expect(await text(second.output!.batch.uri)).toBe(expectedBatch(40, 100));

      const none = await take(input, 'scheduled__c');
      expect(none.code, problemsOf(none)).toBe(EXIT_SKIP);
      expect(none.skipReason).toBe(`no new object under ${arrivalsUri} since the last batch (2 object(s) taken so far); nothing new`);
      expect((await readCursor(store, monitoringUri))!.batches).toHaveLength(2);
    });
  });
});
