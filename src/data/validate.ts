/**
 * Validation of the raw UCI file, before any cleaning: the header has every raw column,
 * every row has the header's field count, integer columns parse, `age` and `readmitted`
 * hold known values. All problems are collected in one pass (up to MAX_REPORTED are shown)
 * and reported as one BadDataError: bad data fails the task without retries (exit 97).
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
  const header = records[0];
  if (!header) {
    throw new BadDataError(
      `${source} is empty: expected a CSV header with the ${RAW_COLUMNS.length} columns of the UCI diabetes file, then data rows. ` +
        `Check that the upload finished, or point source_uri at the right object.`,
    );
  }
  const index = validateHeader(header.fields, source);
  const rows = records.slice(1);
  if (rows.length === 0) {
    throw new BadDataError(`${source} has a header but no data rows. Upload the full file (101 766 rows for the UCI file) or point source_uri at it.`);
  }

  const problems: string[] = [];
  let count = 0;
  const report = (message: string) => {
    count++;
    if (problems.length < MAX_REPORTED) problems.push(message);
  };
  const width = header.fields.length;
  const integerIndexes = INTEGER_COLUMNS.map((name) => [name, index[name]] as const);
  const ageIndex = index.age;
  const readmittedIndex = index.readmitted;
  const ages = new Set<string>(AGE_BRACKETS);
  const readmitted = new Set<string>(READMITTED_VALUES);

  for (const row of rows) {
    const { fields, line } = row;
    if (fields.length !== width) {
      report(
        `line ${line}: ${fields.length} field(s), but the header has ${width}` +
          (fields.length < width ? ' (a truncated row: the file may have been cut off or a line was split)' : ' (an unquoted comma in a value?)'),
      );
      continue;
    }
    for (const [name, at] of integerIndexes) {
      const value = fields[at]!;
      if (!INTEGER.test(value)) report(`line ${line}, column '${name}': ${JSON.stringify(value)} is not an integer`);
    }
    const age = fields[ageIndex]!;
    if (!ages.has(age)) report(`line ${line}, column 'age': ${JSON.stringify(age)} is not an age bracket (expected one of ${AGE_BRACKETS.join(', ')})`);
    const target = fields[readmittedIndex]!;
    if (!readmitted.has(target)) {
      report(`line ${line}, column 'readmitted': ${JSON.stringify(target)} is not one of ${READMITTED_VALUES.join(', ')}`);
    }
  }
  if (count > 0) {
    const more = count > problems.length ? `\n  … and ${count - problems.length} more problem(s)` : '';
    throw new BadDataError(
      `${source} has ${count} invalid value(s) or row(s):\n  - ${problems.join('\n  - ')}${more}\n` +
        `Fix the file (or the export that produced it) and upload it again; the task does not retry bad data.`,
    );
  }
  return { index, rows };
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
