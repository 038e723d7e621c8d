/**
 * Cleaning, following the origin project (bencappello/health-predict) so results stay comparable:
 *  - '?' (and an empty field) means missing;
 *  - weight, payer_code, medical_specialty, encounter_id, patient_nbr are dropped (DROPPED_COLUMNS);
 *  - race and diag_1..3 missing → 'Unknown' (the origin's rule). Every other categorical
 *    model input missing → 'Unknown' as well: our choice, so the model never sees '?' or an
 *    empty string. In the UCI file only race and diag_1..3 have '?' among the kept columns,
 *    so this changes nothing there; it makes other files (and synthetic data) safe.
 *    'None' in max_glu_serum / A1Cresult means "not measured" and stays a category;
 *  - rows whose discharge_disposition_id is death or hospice (EXCLUDED_DISCHARGE_DISPOSITIONS)
 *    are dropped: no readmission is possible;
 *  - target readmitted_binary = 0 if readmitted is 'NO', else 1 (any readmission);
 *  - age_ordinal = index of the age bracket (0–9); the raw age string is dropped.
 * Output rows are string arrays in CLEAN_COLUMNS order, ready to be written as CSV.
 * Runs on validated rows (validate.ts), so integer and domain checks have already passed.
 */
import type { RawTable } from './validate.ts';
import {
  AGE_BRACKETS,
  CATEGORICAL_FEATURES,
  CLEAN_COLUMNS,
  EXCLUDED_DISCHARGE_DISPOSITIONS,
  MISSING_MARKER,
  NUMERIC_FEATURES,
  type RawColumn,
  UNKNOWN_CATEGORY,
} from './schema.ts';

export interface CleanedRows {
  /** Rows in CLEAN_COLUMNS order; the last field is the target ('0' or '1'). */
  readonly rows: string[][];
  readonly rowsIn: number;
  readonly rowsDroppedExcludedDischarge: number;
  readonly positives: number;
}

const EXCLUDED = new Set<number>(EXCLUDED_DISCHARGE_DISPOSITIONS);

/** One cleaned row in CLEAN_COLUMNS order, or undefined when the row is dropped (death/hospice discharge). */
export type RowCleaner = (fields: readonly string[]) => string[] | undefined;

/** The cleaning of one validated raw row, for a file whose columns are at `index`. */
export function rowCleaner(index: Readonly<Record<RawColumn, number>>): RowCleaner {
  const column = (name: RawColumn) => index[name];
  // One extractor per output column, resolved once.
  const extractors: ((fields: readonly string[]) => string)[] = CLEAN_COLUMNS.map((name) => {
    if (name === 'age_ordinal') {
      const at = column('age');
      return (fields) => String(AGE_BRACKETS.indexOf(fields[at] as (typeof AGE_BRACKETS)[number]));
    }
    if (name === 'readmitted_binary') {
      const at = column('readmitted');
      return (fields) => (fields[at] === 'NO' ? '0' : '1');
    }
    const at = column(name as RawColumn);
    if ((NUMERIC_FEATURES as readonly string[]).includes(name)) return (fields) => String(Number.parseInt(fields[at]!, 10));
    if ((CATEGORICAL_FEATURES as readonly string[]).includes(name)) {
      return (fields) => {
        const value = fields[at]!;
        return value === MISSING_MARKER || value === '' ? UNKNOWN_CATEGORY : value;
      };
    }
    throw new Error(`clean.ts has no rule for column '${name}' of CLEAN_COLUMNS`); // a bug in schema.ts, not data
  });
  const disposition = column('discharge_disposition_id');
  return (fields) => (EXCLUDED.has(Number.parseInt(fields[disposition]!, 10)) ? undefined : extractors.map((extract) => extract(fields)));
}

/** Whether a cleaned row's target is 1. */
export const isPositive = (row: readonly string[]) => row[CLEAN_COLUMNS.length - 1] === '1';

/**
 * Cleans the raw rows at `positions` (indexes into table.rows, in the order given).
 * Defaults to every row.
 */
export function cleanRows(table: RawTable, positions?: Iterable<number>): CleanedRows {
  const clean = rowCleaner(table.index);
  const rows: string[][] = [];
  let rowsIn = 0;
  let dropped = 0;
  let positives = 0;
  for (const at of positions ?? table.rows.keys()) {
    rowsIn++;
    const out = clean(table.rows[at]!.fields);
    if (!out) {
      dropped++;
      continue;
    }
    if (isPositive(out)) positives++;
    rows.push(out);
  }
  return { rows, rowsIn, rowsDroppedExcludedDischarge: dropped, positives };
}
