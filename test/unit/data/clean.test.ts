import { describe, expect, it } from 'vitest';
import { cleanRows } from '../../../src/data/clean.ts';
import { parseCsv } from '../../../src/data/csv.ts';
import { CATEGORICAL_FEATURES, CLEAN_COLUMNS, DROPPED_COLUMNS, EXCLUDED_DISCHARGE_DISPOSITIONS, NUMERIC_FEATURES } from '../../../src/data/schema.ts';
import { validateRecords } from '../../../src/data/validate.ts';
import { prepareText, rawCsv, rawRow } from './fixtures.ts';

const table = (rows: string[][]) => validateRecords(parseCsv(rawCsv(rows)), 'test.csv');
const asObject = (row: readonly string[]) => Object.fromEntries(CLEAN_COLUMNS.map((c, i) => [c, row[i]]));

describe('cleanRows', () => {
  const rows = [
    rawRow({ readmitted: 'NO', age: '[0-10)' }),
    rawRow({ readmitted: '>30', age: '[90-100)', race: '?', diag_1: '?', diag_2: '?', diag_3: '?' }),
    rawRow({ readmitted: '<30', discharge_disposition_id: 11 }), // expired: dropped
    rawRow({ readmitted: 'NO', discharge_disposition_id: 13 }), // hospice: dropped
    rawRow({ readmitted: '<30', gender: '', A1Cresult: '?', time_in_hospital: '007' }),
    ...EXCLUDED_DISCHARGE_DISPOSITIONS.map((id) => rawRow({ discharge_disposition_id: id })),
    rawRow({ discharge_disposition_id: 12 }), // 12 is not death/hospice: kept
  ];
  const result = cleanRows(table(rows));

  it('counts rows in, dropped death/hospice rows and positives', () => {
    expect(result.rowsIn).toBe(12);
    expect(result.rowsDroppedExcludedDischarge).toBe(2 + EXCLUDED_DISCHARGE_DISPOSITIONS.length);
    expect(result.rows).toHaveLength(4);
    expect(result.positives).toBe(3);
  });

  it('writes exactly CLEAN_COLUMNS: 12 numeric + 32 categorical + target, no dropped or raw-only columns', () => {
    expect(NUMERIC_FEATURES).toHaveLength(12);
    expect(CATEGORICAL_FEATURES).toHaveLength(32);
    expect(CLEAN_COLUMNS.at(-1)).toBe('readmitted_binary');
    for (const row of result.rows) expect(row).toHaveLength(CLEAN_COLUMNS.length);
    for (const dropped of [...DROPPED_COLUMNS, 'age', 'readmitted']) expect(CLEAN_COLUMNS).not.toContain(dropped);
  });

  it('maps the target, the age bracket and missing values', () => {
    const [young, old, blanks, kept12] = result.rows.map(asObject);
    expect(young).toMatchObject({ readmitted_binary: '0', age_ordinal: '0', race: 'Caucasian', diag_1: '428', insulin: 'Up', A1Cresult: '>8' });
    expect(old).toMatchObject({ readmitted_binary: '1', age_ordinal: '9', race: 'Unknown', diag_1: 'Unknown', diag_2: 'Unknown', diag_3: 'Unknown' });
    expect(blanks).toMatchObject({ readmitted_binary: '1', gender: 'Unknown', A1Cresult: 'Unknown', time_in_hospital: '7' });
    expect(kept12).toMatchObject({ discharge_disposition_id: '12', max_glu_serum: 'None' }); // 'None' = not measured, a category
    expect(result.rows.flat()).not.toContain('?');
  });

  it('cleans only the rows asked for, in the order given', () => {
    const subset = cleanRows(table(rows), [4, 1, 2]);
    expect(subset.rowsIn).toBe(3);
    expect(subset.rowsDroppedExcludedDischarge).toBe(1);
    expect(subset.rows.map((r) => asObject(r).readmitted_binary)).toEqual(['1', '1']);
    expect(asObject(subset.rows[0]!).time_in_hospital).toBe('7');
  });

  it('adds up per split: rows_in = raw rows, rows_out = rows_in - dropped', async () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      rawRow({ readmitted: i % 3 ? 'NO' : '<30', discharge_disposition_id: i % 10 === 0 ? 11 : 1 }),
    );
    const prepared = await prepareText(rawCsv(many), { kind: 'random', fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 3 }, 'x');
    expect(prepared.cleaning).toEqual({ rows_in: 60, rows_dropped_excluded_discharge: 6, rows_out: 54 });
    expect(prepared.splits.map((s) => s.rawRows)).toEqual([36, 12, 12]);
    expect(prepared.splits.reduce((n, s) => n + s.rows.length, 0)).toBe(54);
    expect(prepared.splits.reduce((n, s) => n + s.positives, 0)).toBe(20 - 2); // i % 3 === 0 positive; of the dropped (i % 10 === 0) only 0 and 30 are
  });
});
