/**
 * The pure part of preparing training data: CSV text → validated raw table → split plan →
 * cleaned split rows. No I/O, so tests (and benchmarks) run it on any text.
 */
import { BadDataError } from '../runtime/errors.ts';
import { cleanRows } from './clean.ts';
import { parseCsv } from './csv.ts';
import { CLEAN_COLUMNS } from './schema.ts';
import { planSplit, type SplitDescription, type SplitName, type SplitSpec } from './split.ts';
import { validateRecords } from './validate.ts';

export interface PreparedSplit {
  readonly name: SplitName;
  /** Raw rows assigned to this split, before cleaning. */
  readonly rawRows: number;
  /** Cleaned rows in CLEAN_COLUMNS order. */
  readonly rows: string[][];
  readonly positives: number;
  readonly droppedExcludedDischarge: number;
}

export interface PreparedDataset {
  readonly rawRows: number;
  readonly split: SplitDescription;
  readonly splits: readonly PreparedSplit[];
  readonly cleaning: { rows_in: number; rows_dropped_excluded_discharge: number; rows_out: number };
}

/** Parses, validates, splits and cleans; throws BadDataError when the data cannot be used. */
export function prepareDataset(text: string, spec: SplitSpec, source: string): PreparedDataset {
  const table = validateRecords(parseCsv(text, { source }), source);
  const plan = planSplit(table.rows.length, spec);
  const splits: PreparedSplit[] = [];
  for (const [name, positions] of Object.entries(plan.parts) as [SplitName, number[]][]) {
    const cleaned = cleanRows(table, positions);
    splits.push({
      name,
      rawRows: positions.length,
      rows: cleaned.rows,
      positives: cleaned.positives,
      droppedExcludedDischarge: cleaned.rowsDroppedExcludedDischarge,
    });
  }
  const rowsOut = splits.reduce((sum, s) => sum + s.rows.length, 0);
  const positives = splits.reduce((sum, s) => sum + s.positives, 0);
  const dropped = splits.reduce((sum, s) => sum + s.droppedExcludedDischarge, 0);
  checkTarget(source, rowsOut, positives, splits);
  return {
    rawRows: table.rows.length,
    split: plan.description,
    splits,
    cleaning: { rows_in: table.rows.length, rows_dropped_excluded_discharge: dropped, rows_out: rowsOut },
  };
}

/** A target with one class (overall, or in a split a model is fitted or scored on) cannot train or be evaluated. */
function checkTarget(source: string, rowsOut: number, positives: number, splits: readonly PreparedSplit[]): void {
  if (rowsOut === 0) {
    throw new BadDataError(
      `${source}: no rows are left after cleaning (every row has a death/hospice discharge_disposition_id). ` +
        `Check that this is the right file.`,
    );
  }
  if (positives === 0 || positives === rowsOut) {
    const only = positives === 0 ? `0 (every readmitted value is 'NO')` : `1 (no readmitted value is 'NO')`;
    throw new BadDataError(
      `${source}: after cleaning, the target ${CLEAN_COLUMNS.at(-1)} is ${only} in all ${rowsOut} rows, so no model can be trained. ` +
        `Check the 'readmitted' column of the source (it needs both 'NO' and '<30'/'>30' values).`,
    );
  }
  for (const split of splits) {
    if (split.name === 'future') continue;
    if (split.rows.length === 0 || split.positives === 0 || split.positives === split.rows.length) {
      const what = split.rows.length === 0 ? 'has no rows' : `has only target ${split.positives === 0 ? 0 : 1} in its ${split.rows.length} rows`;
      throw new BadDataError(
        `${source}: after splitting and cleaning, the ${split.name} split ${what}; a model cannot be ${split.name === 'train' ? 'trained' : 'evaluated'} on it. ` +
          `Use a larger file, or a split with more rows in ${split.name}.`,
      );
    }
  }
}
