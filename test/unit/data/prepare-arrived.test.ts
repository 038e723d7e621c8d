/**
 * Training on arrived data: prepare with `batches` takes the origin initial set of the source
 * and every batch but the newest into train, and cuts the newest batch 50/25/25 by position.
 * The batches are taken by arrivals.ts from the source's held-back rows, as the drift DAG does.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeNextBatch } from '../../../src/data/arrivals.ts';
import { cleanRows } from '../../../src/data/clean.ts';
import { formatCsv, parseCsv } from '../../../src/data/csv.ts';
import { type Manifest, manifestSchema } from '../../../src/data/manifest.ts';
import { createObjectStore, fileUri, joinUri, sha256 } from '../../../src/data/object-store.ts';
import { prepareTrainingData } from '../../../src/data/prepare.ts';
import { CLEAN_COLUMNS } from '../../../src/data/schema.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { validateRecords } from '../../../src/data/validate.ts';
import { BadDataError, ConfigurationError } from '../../../src/runtime/index.ts';
import { describeUnless } from '../../harness/skip.ts';
import { tempDir } from './fixtures.ts';

const store = createObjectStore();
const log = { info: () => {} };
const files = tempDir('hp-prepare-arrived-');
afterAll(() => files.cleanup());

/** Takes `count` batches of `size` held-back rows of `rawUri` into `monitoringUri`; their URIs, oldest first. */
async function takeBatches(rawUri: string, monitoringUri: string, count: number, size: number): Promise<string[]> {
  const uris: string[] = [];
  for (let run = 1; run <= count; run++) {
    const taken = await takeNextBatch({ store, monitoringUri, source: { kind: 'held_back', raw_uri: rawUri }, batchSize: size, dagRunId: `scheduled__${run}` });
    uris.push(taken.batch!.uri);
  }
  return uris;
}

describe('prepare on arrived batches (3 000 synthetic rows, 2 batches of 1 000)', () => {
  // Initial set: raw rows 0–599. Batch 1: 600–1599, batch 2 (newest): 1600–2599.
  const RAW = synthesize({ rows: 3_000, seed: 17 });
  const table = validateRecords(parseCsv(RAW), 'raw.csv');
  const cleanedSha = (from: number, to: number) => sha256(formatCsv(CLEAN_COLUMNS, cleanRows(table, Array.from({ length: to - from }, (_, i) => from + i)).rows));
  let sourceUri: string;
  let batches: string[];
  let manifest: Manifest;
  beforeAll(async () => {
    sourceUri = files.write('raw.csv', RAW);
    batches = await takeBatches(sourceUri, files.uri('monitoring'), 2, 1_000);
    manifest = await prepareTrainingData({ sourceUri, outputUri: files.uri('prepared'), batches }, { store, log, now: () => new Date('2026-12-07T09:30:00Z') });
  });

  it('describes the arrived split in a manifest that parses, with no future file', async () => {
    expect(manifestSchema.parse(manifest)).toEqual(manifest);
    expect(JSON.parse((await store.get(joinUri(files.uri('prepared'), 'manifest.json'))).body.toString())).toEqual(manifest);
    expect(Object.keys(manifest.files)).toEqual(['train', 'validation', 'test']);
    expect(manifest.split).toEqual({
      kind: 'arrived',
      reference: { uri: sourceUri, raw_rows: 3_000, initial_rows: 600 },
      batches: batches.map((uri) => ({ uri, raw_rows: 1_000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })),
      newest: { uri: batches[1], train_rows: 500, validation_rows: 250, test_rows: 250 },
      applied: 'reference and older batches to train; newest batch split by position 50/25/25; then clean each part',
    });
    expect(manifest.source).toMatchObject({ uri: sourceUri, sha256: sha256(RAW), rows: 3_000 });
  });

  it('row counts per split add up: initial set + batch 1 + half of batch 2 in train, a quarter each in validation and test', () => {
    const { train, validation, test } = manifest.files;
    expect([train.raw_rows, validation.raw_rows, test.raw_rows]).toEqual([600 + 1_000 + 500, 250, 250]);
    expect(manifest.cleaning.rows_in).toBe(2_600);
    expect(train.rows + validation.rows + test.rows).toBe(manifest.cleaning.rows_out);
    expect(manifest.cleaning.rows_out + manifest.cleaning.rows_dropped_excluded_discharge).toBe(2_600);
  });

  it("the newest batch's last rows are validation and test, cleaned exactly as prepare cleans the raw file", () => {
    // Raw positions: train 0–2099 (initial set, batch 1, newest 1600–2099), validation 2100–2349, test 2350–2599.
    expect(manifest.files.train.sha256).toBe(cleanedSha(0, 2_100));
    expect(manifest.files.validation.sha256).toBe(cleanedSha(2_100, 2_350));
    expect(manifest.files.test.sha256).toBe(cleanedSha(2_350, 2_600));
  });

  it('a missing batch is named, without retries; a random split with batches is refused', async () => {
    const missing = fileUri('/nonexistent/batches/batch-0009.csv');
    const error = await prepareTrainingData({ sourceUri, outputUri: files.uri('x'), batches: [batches[0]!, missing] }, { store, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(new RegExp(`^batches\\[1\\] ${missing} does not exist\\.`));

    const split = { kind: 'random' as const, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 1 };
    const refused = await prepareTrainingData({ sourceUri, outputUri: files.uri('y'), split, batches }, { store, log }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect((refused as Error).message).toMatch(/^split is 'random' but batches are given/);
  });

  it('a newest batch too small to have both classes in validation and test is refused with the fix', async () => {
    const tiny = await takeBatches(sourceUri, files.uri('tiny-monitoring'), 1, 2);
    const error = await prepareTrainingData({ sourceUri, outputUri: files.uri('z'), batches: tiny }, { store, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/the (validation|test) split (has no rows|has only target)/);
    expect((error as Error).message).toMatch(/Take larger batches \(batch_size\)/);
  });
});

const REAL = '/work/shared/data/diabetes-130/diabetic_data.csv';
describeUnless(existsSync(REAL) ? undefined : `the real UCI file is not at ${REAL} (download it: README "The real data set")`, 'prepare on arrived batches of the real UCI file', () => {
  it('trains on the 20 353 initial raw rows plus 2 batches of 5 000 held-back rows, holding out the newest batch\'s last half', async () => {
    const sourceUri = fileUri(REAL);
    const batches = await takeBatches(sourceUri, files.uri('real-monitoring'), 2, 5_000);
    const manifest = await prepareTrainingData({ sourceUri, outputUri: files.uri('real-prepared'), batches }, { store, log });
    expect(manifest.split).toMatchObject({
      kind: 'arrived',
      reference: { raw_rows: 101_766, initial_rows: 20_353 },
      newest: { train_rows: 2_500, validation_rows: 1_250, test_rows: 1_250 },
    });
    const { train, validation, test } = manifest.files;
    expect([train.raw_rows, validation.raw_rows, test.raw_rows]).toEqual([20_353 + 5_000 + 2_500, 1_250, 1_250]);
    expect(manifest.cleaning.rows_in).toBe(30_353);
    expect(train.rows + validation.rows + test.rows).toBe(manifest.cleaning.rows_out);
    for (const file of [train, validation, test]) expect(file.positive_rate).toBeGreaterThan(0.3);
  }, 120_000);
});
