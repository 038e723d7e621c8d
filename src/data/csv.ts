/**
 * A small, strict RFC 4180 CSV reader and writer (no npm CSV package is installed, and the
 * file is ~18 MB, so a whole-text parser is enough).
 *
 * Reading: fields are separated by ',', records by CRLF or LF (a lone CR is data);
 * a field may be quoted with '"', inside which commas, CR/LF and doubled quotes `""` are data.
 * Strict: a quote inside an unquoted field, text after a closing quote, or an unterminated
 * quoted field is a `CsvSyntaxError` naming the line and column. A leading UTF-8 BOM is
 * ignored; blank lines (no characters at all) are skipped, like pandas' `skip_blank_lines`.
 * Field counts are not checked here — that is validation's job (validate.ts), which needs
 * each record's line number, so every record carries the 1-based line it starts on.
 */
import { BadDataError } from '../runtime/errors.ts';

export interface CsvRecord {
  readonly fields: string[];
  /** 1-based physical line on which the record starts (the header is line 1). */
  readonly line: number;
}

/** The CSV text is malformed; names the line and column. Non-retryable (exit 97). */
export class CsvSyntaxError extends BadDataError {
  constructor(
    readonly what: string,
    readonly line: number,
    readonly column: number,
    source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}CSV syntax error at line ${line}, column ${column}: ${what}`);
  }
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const LF = 10;
const CR = 13;

export interface ParseOptions {
  /** Named in error messages (e.g. the source URI). */
  readonly source?: string;
}

/** Parses CSV text into records (the header is the first record). */
export function parseCsv(text: string, options: ParseOptions = {}): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const fail = (what: string, at: number): never => {
    throw new CsvSyntaxError(what, line, at - lineStart + 1, options.source);
  };

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    // Blank line: skip it.
    const first = text.charCodeAt(i);
    if (first === LF || (first === CR && text.charCodeAt(i + 1) === LF)) {
      i += first === LF ? 1 : 2;
      line++;
      lineStart = i;
      continue;
    }
    for (;;) {
      // One field starts at i.
      if (text.charCodeAt(i) === QUOTE) {
        const open = i;
        const openLine = line;
        const openLineStart = lineStart;
        let value = '';
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q === -1) {
            line = openLine;
            lineStart = openLineStart;
            fail('a quoted field is never closed (missing closing ")', open);
          }
          const chunk = text.slice(from, q);
          value += chunk;
          countNewlines(chunk, from);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        fields.push(value);
        const next = i < n ? text.charCodeAt(i) : -1;
        if (next !== COMMA && next !== LF && next !== -1 && !(next === CR && text.charCodeAt(i + 1) === LF)) {
          fail(`unexpected character ${JSON.stringify(text[i])} after a closing quote (a field must end right after its closing ")`, i);
        }
      } else {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || (c === CR && text.charCodeAt(j + 1) === LF)) break;
          if (c === QUOTE) fail('a quote (") inside an unquoted field; quote the whole field and double the inner quotes', j);
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      // i is at a separator, a record end or the end of the text.
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      i += c === CR ? 2 : 1;
      line++;
      lineStart = i;
      break;
    }
    records.push({ fields, line: recordLine });
  }
  return records;

  function countNewlines(chunk: string, offset: number): void {
    let k = chunk.indexOf('\n');
    while (k !== -1) {
      line++;
      lineStart = offset + k + 1;
      k = chunk.indexOf('\n', k + 1);
    }
  }
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted only when it must be. */
export function formatField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV text with a final record end; LF by default (what pandas writes), CRLF like the UCI file on request. */
export function formatCsv(header: readonly string[], rows: Iterable<readonly string[]>, newline: '\n' | '\r\n' = '\n'): string {
  const lines = [header.map(formatField).join(',')];
  for (const row of rows) lines.push(row.map(formatField).join(','));
  return `${lines.join(newline)}${newline}`;
}
