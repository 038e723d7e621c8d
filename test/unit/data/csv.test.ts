import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, formatCsv, formatField, parseCsv } from '../../../src/data/csv.ts';
import { BadDataError } from '../../../src/runtime/index.ts';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('parseCsv', () => {
  it('splits plain records on LF and CRLF, with or without a final newline', () => {
    expect(fields('a,b\n1,2\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a,b\r\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('keeps empty fields, including leading and trailing ones', () => {
    expect(fields(',a,,b,\n')).toEqual([['', 'a', '', 'b', '']]);
    expect(fields('"",x\n')).toEqual([['', 'x']]);
  });

  it('reads quoted fields with commas, doubled quotes, LF and CRLF inside', () => {
    const text = 'id,note\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"two\nlines"\r\n4,"crlf\r\ninside"\r\n';
    expect(fields(text)).toEqual([
      ['id', 'note'],
      ['1', 'a, b'],
      ['2', 'say "hi"'],
      ['3', 'two\nlines'],
      ['4', 'crlf\r\ninside'],
    ]);
  });

  it('numbers records by the physical line they start on, counting embedded newlines', () => {
    const records = parseCsv('h1,h2\n"a\nb",1\nc,2\n\nd,3\n');
    expect(records.map((r) => [r.line, r.fields[0]])).toEqual([
      [1, 'h1'],
      [2, 'a\nb'],
      [4, 'c'],
      [6, 'd'],
    ]);
  });

  it('skips blank lines and a UTF-8 BOM; keeps a lone CR as data', () => {
    expect(fields('\uFEFFa,b\n\n1,2\r\n\r\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fields('a\rb,c\n')).toEqual([['a\rb', 'c']]);
  });

  it('returns no records for empty text', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n\r\n')).toEqual([]);
  });

  it('rejects a quote inside an unquoted field, naming line and column', () => {
    const error = catchError(() => parseCsv('a,b\n1,x"y\n', { source: 's3://b/k.csv' }));
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect(error).toBeInstanceOf(BadDataError);
    expect(error.message).toBe(
      's3://b/k.csv: CSV syntax error at line 2, column 4: a quote (") inside an unquoted field; quote the whole field and double the inner quotes',
    );
  });

  it('rejects text after a closing quote', () => {
    expect(() => parseCsv('a\n"x"y,1\n')).toThrow(/line 2, column 4: unexpected character "y" after a closing quote/);
  });

  it('rejects an unterminated quoted field, pointing at its opening quote', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"never\nclosed\n')).toThrow(/line 3, column 3: a quoted field is never closed/);
  });

  it('round-trips any table through formatCsv (LF and CRLF)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '?') });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { maxLength: 8 }), fc.boolean(), (width, rows, crlf) => {
        const header = Array.from({ length: width }, (_, i) => `c${i}`);
        const table = rows.map((r) => r.slice(0, width));
        // A record of one empty field is a blank line, which the reader skips by design.
        const kept = table.filter((r) => !(r.length === 1 && r[0] === ''));
        const parsed = fields(formatCsv(header, kept, crlf ? '\r\n' : '\n'));
        expect(parsed).toEqual([header, ...kept]);
      }),
      { numRuns: 300 },
    );
  });

  it('quotes only fields that need it', () => {
    expect(formatField('250.01')).toBe('250.01');
    expect(formatField('>30')).toBe('>30');
    expect(formatField('a,b')).toBe('"a,b"');
    expect(formatField('say "x"')).toBe('"say ""x"""');
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
