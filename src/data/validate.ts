/**
 * Validation of the raw UCI file, before any cleaning: the header has every raw column,
 * every row has the header's field count, integer columns parse, `age` and `readmitted`
 * hold known values. All problems are collected in one pass (up to MAX_REPORTED are shown)
 * and reported as one BadDataError: bad data fails the task without retries (exit 97).
 * RawValidator checks one row at a time, so a stream of any length is validated in constant memory.
 */
import { BadDataError } from '../runtime/errors.ts';
import type { CsvRecord } from './csv.ts';
import { AGE_BRACKETS, INTEGER_COLUMNS, RAW_COLUMNS, READMITTED_VALUES, type RawColumn } from './schema.ts';

const MAX_REPORTED = 10;
const INTEGER = /^-?\d+$/;

/** The validated raw table: rows in file order, each with its 1-based starting line. */
export interface RawTable {
  /** Column name → field index in each row (the file may have extra columns or another order). */
  readonly index: Readonly<Record<RawColumn, number>>;
  readonly rows: readonly CsvRecord[];
}

/** Validates parsed records (header first); throws a BadDataError listing what is wrong. */
export function validateRecords(records: readonly CsvRecord[], source: string): RawTable {
  const validator = new RawValidator(records[0], source);
  const rows = records.slice(1);
  for (const row of rows) validator.check(row);
  validator.finish();
  return { index: validator.index, rows };
}

/** Validates a record stream (header first) without keeping it; returns the column index and the data row count. */
export async function validateStream(records: AsyncIterable<CsvRecord>, source: string): Promise<{ index: Record<RawColumn, number>; rows: number }> {
  let validator: RawValidator | undefined;
  for await (const record of records) {
    if (validator) validator.check(record);
    else validator = new RawValidator(record, source);
  }
  validator ??= new RawValidator(undefined, source);
  validator.finish();
  return { index: validator.index, rows: validator.rows };
}

/**
 * Checks the header when created, then one data row per `check`; `finish` throws the collected
 * problems (or a missing data row) as one BadDataError. Holds no rows, so any file size works.
 */
export class RawValidator {
  readonly index: Record<RawColumn, number>;
  /** Data rows checked so far. */
  rows = 0;
  private readonly problems: string[] = [];
  private count = 0;
  private readonly width: number;
  private readonly integerIndexes: (readonly [RawColumn, number])[];
  private readonly ages = new Set<string>(AGE_BRACKETS);
  private readonly readmitted = new Set<string>(READMITTED_VALUES);

  constructor(
    header: CsvRecord | undefined,
    private readonly source: string,
  ) {
    if (!header) {
      throw new BadDataError(
        `${source} is empty: expected a CSV header with the ${RAW_COLUMNS.length} columns of the UCI diabetes file, then data rows. ` +
          `Check that the upload finished, or point source_uri at the right object.`,
      );
    }
    this.index = validateHeader(header.fields, source);
    this.width = header.fields.length;
    this.integerIndexes = INTEGER_COLUMNS.map((name) => [name, this.index[name]] as const);
  }

  /** Records the row's problems; true when it has none. */
  check({ fields, line }: CsvRecord): boolean {
    this.rows++;
    const before = this.count;
    if (fields.length !== this.width) {
      this.report(
        `line ${line}: ${fields.length} field(s), but the header has ${this.width}` +
          (fields.length < this.width ? ' (a truncated row: the file may have been cut off or a line was split)' : ' (an unquoted comma in a value?)'),
      );
      return false;
    }
    for (const [name, at] of this.integerIndexes) {
      const value = fields[at]!;
      if (!INTEGER.test(value)) this.report(`line ${line}, column '${name}': ${JSON.stringify(value)} is not an integer`);
    }
    const age = fields[this.index.age]!;
    if (!this.ages.has(age)) this.report(`line ${line}, column 'age': ${JSON.stringify(age)} is not an age bracket (expected one of ${AGE_BRACKETS.join(', ')})`);
    const target = fields[this.index.readmitted]!;
    if (!this.readmitted.has(target)) {
      this.report(`line ${line}, column 'readmitted': ${JSON.stringify(target)} is not one of ${READMITTED_VALUES.join(', ')}`);
    }
    return this.count === before;
  }

  /** Throws when there were no data rows or any problem. */
  finish(): void {
    if (this.rows === 0) {
      throw new BadDataError(`${this.source} has a header but no data rows. Upload the full file (101 766 rows for the UCI file) or point source_uri at it.`);
    }
    if (this.count > 0) {
      const more = this.count > this.problems.length ? `\n  … and ${this.count - this.problems.length} more problem(s)` : '';
      throw new BadDataError(
        `${this.source} has ${this.count} invalid value(s) or row(s):\n  - ${this.problems.join('\n  - ')}${more}\n` +
          `Fix the file (or the export that produced it) and upload it again; the task does not retry bad data.`,
      );
    }
  }

  private report(message: string): void {
    this.count++;
    if (this.problems.length < MAX_REPORTED) this.problems.push(message);
  }
}

/** Maps every raw column to its field index; names missing columns and the closest header name. */
export function validateHeader(header: readonly string[], source: string): Record<RawColumn, number> {
  const positions = new Map<string, number>();
  const duplicates: string[] = [];
  header.forEach((name, at) => {
    if (positions.has(name)) duplicates.push(name);
    else positions.set(name, at);
  });
  if (duplicates.length) {
    throw new BadDataError(`${source}: the header repeats column(s) ${duplicates.map((d) => `'${d}'`).join(', ')}. Each column name must appear once.`);
  }
  const known = new Set<string>(RAW_COLUMNS);
  const unexpected = header.filter((name) => !known.has(name));
  const missing = RAW_COLUMNS.filter((name) => !positions.has(name));
  if (missing.length) {
    const details = missing.map((name) => {
      const near = closest(name, unexpected.length ? unexpected : header);
      return near === undefined ? `'${name}'` : `'${name}' (closest header name: '${near}'${unexpected.includes(near) ? ', renamed?' : ''})`;
    });
    throw new BadDataError(
      `${source}: the header is missing ${missing.length} required column(s): ${details.join(', ')}. ` +
        `The file must have the ${RAW_COLUMNS.length} columns of the UCI diabetes file (src/data/schema.ts RAW_COLUMNS); ` +
        `rename the columns back or re-export the file.`,
    );
  }
  return Object.fromEntries(RAW_COLUMNS.map((name) => [name, positions.get(name)!])) as Record<RawColumn, number>;
}

/** The candidate with the smallest (case-insensitive) edit distance to `name`. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
