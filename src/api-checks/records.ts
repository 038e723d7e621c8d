/**
 * Request records for the prediction API, made from rows of a prepared split: the API takes
 * the raw UCI fields (the `age` bracket, not the model's `age_ordinal`), so each row is turned
 * back into what a client would send.
 */
import { AGE_BRACKETS, CATEGORICAL_FEATURES, NUMERIC_FEATURES } from '../data/schema.ts';

export type RequestRecord = Record<string, string | number>;

const NUMERIC: ReadonlySet<string> = new Set(NUMERIC_FEATURES);
const CATEGORICAL: ReadonlySet<string> = new Set(CATEGORICAL_FEATURES);

export function requestRecord(row: Readonly<Record<string, string>>): RequestRecord {
  const record: RequestRecord = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === 'age_ordinal') record.age = AGE_BRACKETS[Number(value)] ?? value;
    else if (NUMERIC.has(column)) record[column] = Number(value);
    else if (CATEGORICAL.has(column)) record[column] = value;
  }
  return record;
}

/** The same record with every hyphenated field spelled with underscores: the origin API's field names. */
export function withUnderscores(record: RequestRecord): RequestRecord {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.replace(/-/g, '_'), value]));
}

/** The same record with every underscore replaced by a hyphen: the origin API's aliases (`time-in-hospital`). */
export function withHyphens(record: RequestRecord): RequestRecord {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.replace(/_/g, '-'), value]));
}
