/**
 * The rows of one arrived batch (a raw CSV, arrivals.ts) ready for drift measurement and
 * scoring: validated and cleaned exactly as prepare does (validate.ts RawValidator, clean.ts
 * rowCleaner: the same column checks, the same death/hospice drop), keyed by CLEAN_COLUMNS —
 * the shape readSplitRows gives for a prepared split. A batch is small enough to hold; the
 * file is still read as a stream, in one pass, and any invalid row fails the whole batch.
 */
import { rowCleaner } from './clean.ts';
import { readCsv } from './csv.ts';
import type { ObjectStore } from './object-store.ts';
import { CLEAN_COLUMNS } from './schema.ts';
import { RawValidator } from './validate.ts';

export interface BatchRows {
  /** Cleaned rows keyed by CLEAN_COLUMNS (the target is `readmitted_binary`, '0' or '1'). */
  readonly rows: Record<string, string>[];
  readonly counts: {
    /** Data rows in the batch file. */
    readonly raw_rows: number;
    /** Rows kept after cleaning. */
    readonly rows: number;
    /** Rows dropped for a death/hospice discharge_disposition_id. */
    readonly dropped: number;
  };
}

/** Reads, validates and cleans the raw batch CSV at `uri`; BadDataError when it is not valid raw data. */
export async function readBatchRows(store: ObjectStore, uri: string): Promise<BatchRows> {
  const { body } = await store.getStream(uri);
  let validator: RawValidator | undefined;
  let clean: ReturnType<typeof rowCleaner> | undefined;
  const rows: Record<string, string>[] = [];
  let dropped = 0;
  for await (const record of readCsv(body, { source: uri })) {
    if (!validator || !clean) {
      validator = new RawValidator(record, uri);
      clean = rowCleaner(validator.index);
      continue;
    }
    if (!validator.check(record)) continue; // reported by finish()
    const cleaned = clean(record.fields);
    if (cleaned) rows.push(Object.fromEntries(CLEAN_COLUMNS.map((name, i) => [name, cleaned[i]!])));
    else dropped++;
  }
  const checked = validator ?? new RawValidator(undefined, uri); // an empty file: the constructor throws, naming it
  checked.finish();
  return { rows, counts: { raw_rows: checked.rows, rows: rows.length, dropped } };
}
