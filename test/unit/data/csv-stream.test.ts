/** The streaming CSV reader: same records, lines and errors as the whole-text one, whatever the chunking. */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvRecord, CsvSyntaxError, formatCsv, MAX_RECORD_BYTES, parseCsv, readCsv } from '../../../src/data/csv.ts';
import { BadDataError } from '../../../src/runtime/index.ts';
import { tempDir } from './fixtures.ts';

/** The text's bytes in pieces of `size` (1 = every byte its own chunk: BOM, CRLF and UTF-8 characters split). */
const chunked = (text: string | Buffer, size: number) => {
  const bytes = Buffer.from(text);
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
};

async function readAll(input: Readable, source?: string): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of readCsv(input, source ? { source } : {})) records.push(record);
  return records;
}

async function syntaxError(text: string, size = 1): Promise<CsvSyntaxError> {
  const error = await readAll(chunked(text, size), 's3://b/k.csv').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CsvSyntaxError);
  expect(error).toBeInstanceOf(BadDataError);
  return error as CsvSyntaxError;
}

describe('readCsv', () => {
  it('reads records with the lines they start on, across 1-byte chunks', async () => {
    const text = '\uFEFFh1,h2\r\n"a\r\nb",1\r\n\r\nc,"x,""y"""\n\nd\re,3\r\n"é",ü';
    const records = await readAll(chunked(text, 1));
    expect(records).toEqual([
      { fields: ['h1', 'h2'], line: 1 },
      { fields: ['a\r\nb', '1'], line: 2 },
      { fields: ['c', 'x,"y"'], line: 5 },
      { fields: ['d\re', '3'], line: 7 },
      { fields: ['é', 'ü'], line: 8 },
    ]);
    expect(parseCsv(text)).toEqual(records);
  });

  it('gives the same records as parseCsv for any table and any chunk size', async () => {
    const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '?') });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 9 }),
        async (rows, crlf, size) => {
          const text = formatCsv(['h'], rows, crlf ? '\r\n' : '\n');
          expect(await readAll(chunked(text, size))).toEqual(parseCsv(text));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads a file stream with a 1-byte highWaterMark', async () => {
    const tmp = tempDir('hp-csv-');
    try {
      const text = 'a,b\r\n"multi\nline",2\r\n3,4\r\n';
      const file = tmp.write('small.csv', text);
      const records = await readAll(createReadStream(new URL(file), { highWaterMark: 1 }));
      expect(records.map((r) => [r.line, ...r.fields])).toEqual([[1, 'a', 'b'], [2, 'multi\nline', '2'], [4, '3', '4']]);
    } finally {
      tmp.cleanup();
    }
  });

  describe('syntax errors name line and column, wherever the chunks are cut', () => {
    const cases: [string, string, RegExp][] = [
      ['a quote in an unquoted field', 'a,b\n"x\ny",z\n1,x"y\n', /at line 4, column 4: a quote \(\"\) inside an unquoted field; quote the whole field and double the inner quotes$/],
      ['the same after blank CRLF lines and a multi-line field', 'a\r\n\r\n\r\n"p\r\nq",zz"q\r\n', /at line 5, column 6: a quote \(\"\) inside/],
      ['text after a closing quote', 'a\n\n"x\n""y"z,1\n', /at line 4, column 5: unexpected character "z" after a closing quote \(a field must end right after its closing "\)$/],
      ['a lone CR after a closing quote', 'a\n"x"\rb\n', /at line 2, column 4: unexpected character "\\r" after a closing quote/],
      ['a non-ASCII character after a closing quote', 'a\n"x"é\n', /at line 2, column 4: unexpected non-ASCII character after a closing quote/],
      ['an unterminated quoted field (points at its opening quote)', 'a,b\n1,2\n3,"never\nclosed\n', /at line 3, column 3: a quoted field is never closed \(missing closing "\)$/],
      ['an unterminated field after a closed multi-line one', 'a,b\n"1\n\n",é,"x""\n', /at line 4, column 5: a quoted field is never closed/],
    ];
    for (const [name, text, message] of cases) {
      it(name, async () => {
        for (const size of [1, 2, 3, 1024]) {
          const error = await syntaxError(text, size);
          expect(error.message).toMatch(/^s3:\/\/b\/k\.csv: CSV syntax error /);
          expect(error.message).toMatch(message);
        }
        // The whole-text reader says exactly the same.
        expect(() => parseCsv(text, { source: 's3://b/k.csv' })).toThrow((await syntaxError(text)).message);
      });
    }
  });

  it(`bounds a record at ${MAX_RECORD_BYTES} bytes: an unclosed quote is reported at the quote without reading to the end`, async () => {
    const filler = `${'x'.repeat(99)}\n`.repeat(Math.ceil((MAX_RECORD_BYTES * 1.5) / 100));
    const unclosed = await syntaxError(`a,b\n1,2\n3,"open\n${filler}`, 64 * 1024);
    expect(unclosed.message).toMatch(/at line 3, column 3: a quoted field is never closed \(missing closing "\) within 1048576 bytes/);
    const long = await syntaxError(`a,b\n\n${'y'.repeat(MAX_RECORD_BYTES + 10)},1\n`, 64 * 1024);
    expect(long.message).toMatch(/at line 3, column 1: the record is longer than 1048576 bytes/);
  });

  it('passes on an error of the input stream and stops reading when the consumer stops', async () => {
    const failing = new Readable({ read() {} });
    failing.push('a,b\n1,2\n');
    setImmediate(() => failing.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    await expect(readAll(failing)).rejects.toThrow('socket hang up');

    const source = chunked('a\n1\n2\n3\n', 1);
    for await (const record of readCsv(source)) if (record.line === 2) break;
    expect(source.destroyed).toBe(true);
  });
});
