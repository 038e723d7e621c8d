/** readBatchRows: an arrived raw batch validated and cleaned by prepare's own rules, keyed by CLEAN_COLUMNS. */
import { afterAll, describe, expect, it } from 'vitest';
import { readBatchRows } from '../../../src/data/batch-rows.ts';
import { cleanRows } from '../../../src/data/clean.ts';
import { parseCsv } from '../../../src/data/csv.ts';
import { createObjectStore } from '../../../src/data/object-store.ts';
import { CLEAN_COLUMNS, RAW_COLUMNS, type RawColumn } from '../../../src/data/schema.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { validateRecords } from '../../../src/data/validate.ts';
import { BadDataError } from '../../../src/runtime/index.ts';
import { rawCsv, rawRow, tempDir } from './fixtures.ts';

const files = tempDir('hp-batch-rows-');
afterAll(() => files.cleanup());
const store = createObjectStore();

describe('readBatchRows', () => {
  it('gives the rows prepare would write, keyed by CLEAN_COLUMNS, with the counts', async () => {
    const text = synthesize({ rows: 2_000, seed: 5 });
    const expected = cleanRows(validateRecords(parseCsv(text), 'batch.csv'));
    const { rows, counts } = await readBatchRows(store, files.write('batch.csv', text));
    expect(counts).toEqual({ raw_rows: 2_000, rows: expected.rows.length, dropped: expected.rowsDroppedExcludedDischarge });
    expect(counts.dropped).toBeGreaterThan(0);
    expect(rows.map((row) => CLEAN_COLUMNS.map((name) => row[name]))).toEqual(expected.rows);
    expect(Object.keys(rows[0]!)).toEqual([...CLEAN_COLUMNS]);
  });

  it('drops death/hospice discharges and reads columns in any order', async () => {
    const header = ['readmitted', ...RAW_COLUMNS.filter((name) => name !== 'readmitted')];
    const reorder = (row: string[]) => header.map((name) => row[RAW_COLUMNS.indexOf(name as RawColumn)]!);
    const uri = files.write('reordered.csv', rawCsv([reorder(rawRow({ readmitted: 'NO' })), reorder(rawRow({ discharge_disposition_id: 11 }))], header));
    const { rows, counts } = await readBatchRows(store, uri);
    expect(counts).toEqual({ raw_rows: 2, rows: 1, dropped: 1 });
    expect(rows[0]).toMatchObject({ age_ordinal: '7', readmitted_binary: '0', race: 'Caucasian' });
  });

  it('refuses invalid rows and an empty file, naming the batch', async () => {
    const bad = files.write('bad.csv', rawCsv([rawRow(), rawRow({ num_medications: 'many' })]));
    const error = await readBatchRows(store, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/bad\.csv has 1 invalid value\(s\) or row\(s\):\n {2}- line 3, column 'num_medications': "many" is not an integer/);
    const empty = await readBatchRows(store, files.write('empty.csv', '')).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(BadDataError);
    expect((empty as Error).message).toMatch(/empty\.csv is empty/);
  });
});
