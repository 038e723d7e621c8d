/**
 * A strict RFC 4180 CSV reader on csv-parse (streaming, or whole text for small files) and a
 * small writer.
 *
 * Reading: fields are separated by ',', records by CRLF or LF (a lone CR is data);
 * a field may be quoted with '"', inside which commas, CR/LF and doubled quotes `""` are data.
 * Strict: a quote inside an unquoted field, text after a closing quote, or an unterminated
 * quoted field is a `CsvSyntaxError` naming the line and column. A leading UTF-8 BOM is
 * ignored; blank lines (no characters at all) are skipped, like pandas' `skip_blank_lines`.
 * Field counts are not checked here — that is validation's job (validate.ts), which needs
 * each record's line number, so every record carries the 1-based line it starts on.
 *
 * How this maps onto csv-parse: `record_delimiter: ['\r\n', '\n']` keeps a lone CR as data;
 * `relax_quotes: false` (its default) gives the three syntax errors. csv-parse counts a lone CR
 * as a line break and reports no character column, so line numbers are ours (LineTracker: the
 * line after a record is its start line + the LFs inside its fields + its LF terminator +
 * the blank lines csv-parse skipped), and an error's column comes from re-reading the raw
 * text of the one record it happened in (`raw: true`).
 * Two differences from the hand-written reader this replaces:
 *  - a record longer than MAX_RECORD_BYTES is an error (before: no limit). It bounds memory
 *    when a quote is never closed; the error then points at that opening quote as before.
 *  - csv-parse reports the byte after a closing quote, not the character: a non-ASCII one is
 *    named "unexpected non-ASCII character" instead of by itself (line and column stay exact).
 */
import type { Readable } from 'node:stream';
import { CsvError, type Info, type InfoRecord, type Options, parse } from 'csv-parse';
import { parse as parseText } from 'csv-parse/sync';
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

export interface ParseOptions {
  /** Named in error messages (e.g. the source URI). */
  readonly source?: string;
}

/** The longest record accepted (UCI records are ~250 bytes); bounds memory on an unclosed quote. */
export const MAX_RECORD_BYTES = 1 << 20;

/** Parses CSV text into records (the header is the first record). For small files; big ones use readCsv. */
export function parseCsv(text: string, options: ParseOptions = {}): CsvRecord[] {
  const lines = new LineTracker();
  try {
    return parseText(text, parserOptions(lines)) as unknown as CsvRecord[]; // on_record maps each record
  } catch (error) {
    throw syntaxError(error, lines, options.source);
  }
}

/** Reads records (header first) from a byte stream, holding one chunk and one record at a time. */
export async function* readCsv(input: Readable, options: ParseOptions = {}): AsyncGenerator<CsvRecord> {
  const lines = new LineTracker();
  const parser = parse(parserOptions(lines));
  input.once('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const record of parser) yield record as CsvRecord;
  } catch (error) {
    throw syntaxError(error, lines, options.source);
  } finally {
    input.unpipe(parser);
    input.destroy();
    parser.destroy();
  }
}

function parserOptions(lines: LineTracker): Options {
  return {
    bom: true,
    delimiter: ',',
    quote: '"',
    escape: '"',
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    raw: true,
    // With `raw`, on_record receives {record, raw}; csv-parse's types describe neither that nor a mapped result without `columns`.
    on_record: (({ record }: { record: string[] }, context: InfoRecord) => lines.record(record, context)) as unknown as Options['on_record'],
  };
}

/** Numbers records by the physical line they start on (LF line ends; CR alone is data). */
class LineTracker {
  /** Line on which the text after the last record starts (before any blank lines). */
  private next = 1;
  /** csv-parse's count of skipped blank lines when the last record ended. */
  private blankLines = 0;

  record(fields: string[], context: Info): CsvRecord {
    const line = this.next + context.empty_lines - this.blankLines;
    this.blankLines = context.empty_lines;
    let breaks = 1; // the record's own terminator (or the end of the text, where nothing follows)
    for (const field of fields) breaks += countLineFeeds(field);
    this.next = line + breaks;
    return { fields, line };
  }

  /** The line the failing record starts on and its raw text (csv-parse's raw also holds one character per blank line before it). */
  failing(error: { empty_lines: number; raw?: string }): { line: number; raw: string } {
    const blank = error.empty_lines - this.blankLines;
    return { line: this.next + blank, raw: (error.raw ?? '').slice(blank) };
  }
}

function countLineFeeds(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

const NEVER_CLOSED = 'a quoted field is never closed (missing closing ")';

/** csv-parse's error → CsvSyntaxError with our line, column and wording; anything else unchanged. */
function syntaxError(error: unknown, lines: LineTracker, source: string | undefined): unknown {
  if (!(error instanceof CsvError)) return error;
  const context = error as CsvError & { empty_lines: number; raw?: string };
  const { line, raw } = lines.failing(context);
  const at = locate(raw, line);
  const fail = (what: string, where: Position) => new CsvSyntaxError(what, where.line, where.column, source);
  switch (error.code) {
    case 'INVALID_OPENING_QUOTE':
      return fail('a quote (") inside an unquoted field; quote the whole field and double the inner quotes', at.last);
    case 'CSV_INVALID_CLOSING_QUOTE':
      return fail(
        `unexpected ${closingQuoteFollower(error.message)} after a closing quote (a field must end right after its closing ")`,
        { line: at.last.line, column: at.last.column + 1 },
      );
    case 'CSV_QUOTE_NOT_CLOSED':
      return fail(NEVER_CLOSED, at.openQuote ?? at.last);
    case 'CSV_MAX_RECORD_SIZE':
      return at.openQuote
        ? fail(`${NEVER_CLOSED} within ${MAX_RECORD_BYTES} bytes`, at.openQuote)
        : fail(`the record is longer than ${MAX_RECORD_BYTES} bytes`, { line, column: 1 });
    default:
      return error;
  }
}

interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Positions in the raw text of one record that starts at column 1 of `line`: its last
 * character (where csv-parse stopped) and, if the text ends inside a quoted field, that
 * field's opening quote. Columns count UTF-16 code units, as JavaScript strings do.
 */
function locate(raw: string, line: number): { last: Position; openQuote?: Position } {
  let column = 0;
  let quoted = false;
  let fieldStart = true;
  let openQuote: Position | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    column++;
    if (quoted) {
      if (c === '"') {
        if (raw[i + 1] === '"') {
          i++;
          column++;
        } else quoted = false;
      }
    } else if (c === '"' && fieldStart) {
      quoted = true;
      openQuote = { line, column };
    }
    fieldStart = !quoted && c === ',';
    if (c === '\n') {
      line++;
      column = 0;
    }
  }
  return { last: { line, column }, ...(quoted && openQuote ? { openQuote } : {}) };
}

/** The character csv-parse names in "Invalid Closing Quote: got "x" …"; it reads bytes, so only ASCII is certain. */
function closingQuoteFollower(message: string): string {
  const got = /got "([\s\S])"/.exec(message)?.[1];
  return got !== undefined && got.charCodeAt(0) < 0x80 ? `character ${JSON.stringify(got)}` : 'non-ASCII character';
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted only when it must be. */
export function formatField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV record with its record end. */
export function formatRecord(fields: readonly string[], newline: '\n' | '\r\n' = '\n'): string {
  return `${fields.map(formatField).join(',')}${newline}`;
}

/** CSV text with a final record end; LF by default (what pandas writes), CRLF like the UCI file on request. */
export function formatCsv(header: readonly string[], rows: Iterable<readonly string[]>, newline: '\n' | '\r\n' = '\n'): string {
  const lines = [header.map(formatField).join(',')];
  for (const row of rows) lines.push(row.map(formatField).join(','));
  return `${lines.join(newline)}${newline}`;
}
