import { afterAll, describe, expect, it } from 'vitest';
import { RAW_COLUMNS } from '../../../src/data/schema.ts';
import { BadDataError, EXIT_NON_RETRYABLE } from '../../../src/runtime/index.ts';
import prepareTask from '../../../src/tasks/prepare-training-data.ts';
import { runInMemory } from '../runtime/helpers.ts';
import { mixedRows, prepareText, rawCsv, rawRow, tempDir } from './fixtures.ts';

const SOURCE = 'file:///data/raw.csv';
const RANDOM = { kind: 'random' as const, fractions: { train: 0.5, validation: 0.25, test: 0.25 }, seed: 1 };
const prepare = (text: string) => prepareText(text, RANDOM, SOURCE);

async function badData(text: string): Promise<BadDataError> {
  try {
    await prepare(text);
  } catch (error) {
    expect(error).toBeInstanceOf(BadDataError);
    return error as BadDataError;
  }
  throw new Error('expected a BadDataError');
}

const renamed = RAW_COLUMNS.map((c) => (c === 'time_in_hospital' ? 'time_in_hospitl' : c));
const withoutA1c = RAW_COLUMNS.filter((c) => c !== 'A1Cresult');
const rowsWithout = (column: string, rows: string[][]) => rows.map((r) => r.filter((_, i) => RAW_COLUMNS[i] !== column));

/** Each corrupt file, and what its error message must name. */
const CORRUPT: Record<string, { text: string; mentions: (string | RegExp)[] }> = {
  'missing column': {
    text: rawCsv(rowsWithout('A1Cresult', mixedRows(8)), withoutA1c),
    mentions: [/missing 1 required column\(s\): 'A1Cresult'/],
  },
  'renamed column': {
    text: rawCsv(mixedRows(8), renamed),
    mentions: ["'time_in_hospital' (closest header name: 'time_in_hospitl', renamed?)"],
  },
  'wrong type in an integer column': {
    text: rawCsv([...mixedRows(6), rawRow({ num_medications: 'twelve' }), ...mixedRows(2)]),
    mentions: [`line 8, column 'num_medications': "twelve" is not an integer`],
  },
  'unknown target value': {
    text: rawCsv([...mixedRows(3), rawRow({ readmitted: 'YES' })]),
    mentions: [`line 5, column 'readmitted': "YES" is not one of NO, >30, <30`],
  },
  'unknown age bracket': {
    text: rawCsv([rawRow({ age: '70-80' }), ...mixedRows(3)]),
    mentions: [`line 2, column 'age': "70-80" is not an age bracket`],
  },
  'empty file': { text: '', mentions: [`${SOURCE} is empty`] },
  'header only': { text: `${RAW_COLUMNS.join(',')}\r\n`, mentions: [`${SOURCE} has a header but no data rows`] },
  'truncated row': {
    // The file was cut off in the middle of its last row.
    text: rawCsv(mixedRows(6)).trimEnd().split('\n').concat(rawRow().slice(0, 20).join(',')).join('\n'),
    mentions: ['line 8: 20 field(s), but the header has 50 (a truncated row'],
  },
  'all one class after cleaning': {
    // Every readmitted row is a death discharge, which cleaning drops: only 'NO' is left.
    text: rawCsv([
      ...Array.from({ length: 6 }, () => rawRow({ readmitted: 'NO' })),
      rawRow({ readmitted: '>30', discharge_disposition_id: 11 }),
      rawRow({ readmitted: '<30', discharge_disposition_id: 20 }),
    ]),
    mentions: ['the target readmitted_binary is 0', "in all 6 rows"],
  },
  'malformed CSV quoting': {
    text: rawCsv(mixedRows(2)) + rawRow({ race: 'Cauc"asian' }).join(',') + '\n',
    mentions: [/line 4, column \d+: a quote/],
  },
};

describe('validation: each corrupt file is bad data, named precisely', () => {
  for (const [name, { text, mentions }] of Object.entries(CORRUPT)) {
    it(name, async () => {
      const error = await badData(text);
      for (const m of mentions) expect(error.message).toMatch(typeof m === 'string' ? new RegExp(escape(m)) : m);
    });
  }

  it('reports several problems at once, up to ten, and counts the rest', async () => {
    const rows = Array.from({ length: 15 }, (_, i) => rawRow({ time_in_hospital: `x${i}` }));
    const error = await badData(rawCsv([...mixedRows(4), ...rows]));
    expect(error.message).toMatch(/has 15 invalid value\(s\) or row\(s\)/);
    expect(error.message).toMatch(/line 6, column 'time_in_hospital': "x0"/);
    expect(error.message).toMatch(/… and 5 more problem\(s\)/);
  });

  it('a split left with one class is bad data too', async () => {
    // 100 rows, origin split: initial 20 rows; validation = rows 14–16, test = rows 17–19, made all 'NO'.
    const rows = mixedRows(100);
    for (const at of [17, 18, 19]) rows[at] = rawRow({ readmitted: 'NO' });
    expect((await prepareText(rawCsv(mixedRows(100)), { kind: 'origin' }, SOURCE)).splits.map((s) => s.rows.length)).toEqual([14, 3, 3, 80]);
    await expect(prepareText(rawCsv(rows), { kind: 'origin' }, SOURCE)).rejects.toThrow(/the test split has only target 0 in its 3 rows/);
  });

  it('accepts extra columns and another column order', async () => {
    const order = [...RAW_COLUMNS].reverse();
    const rows = mixedRows(40).map((r) => [...order.map((c) => r[RAW_COLUMNS.indexOf(c)]!), 'extra']);
    const result = await prepare(rawCsv(rows, [...order, 'note']));
    expect(result.cleaning.rows_out).toBe(40);
    expect(result.splits[0]!.rows).toEqual((await prepare(rawCsv(mixedRows(40)))).splits[0]!.rows);
  });
});

describe('validation through the task: exit 97 (no retries), message in the log', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  for (const [name, { text, mentions }] of Object.entries(CORRUPT)) {
    it(name, async () => {
      const source = tmp.write(`${name.replaceAll(' ', '-')}.csv`, text);
      const input = { source_uri: source, output_uri: tmp.uri(`out-${name.replaceAll(' ', '-')}`), split: RANDOM };
      const { code, stdout, logs } = await runInMemory(prepareTask, { HP_INPUT: JSON.stringify(input) });
      expect(code).toBe(EXIT_NON_RETRYABLE);
      expect(stdout).toEqual([]);
      const failure = logs.find((l) => l.level === 'error')!;
      expect(failure.error_name).toMatch(/BadDataError|CsvSyntaxError/);
      const message = String(failure.error_message).replaceAll(source, SOURCE);
      for (const m of mentions) expect(message).toMatch(typeof m === 'string' ? new RegExp(escape(m)) : m);
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
