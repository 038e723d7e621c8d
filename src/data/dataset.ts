/**
 * Preparing training data from raw CSVs in bounded memory: two passes over each source byte
 * stream, never holding a file, its records or a split.
 *  1. hash, parse and validate every row, and count them (validate.ts; nothing is kept);
 *  2. hash and parse again, clean each row and append it to its split's file in `workDir`.
 * The origin split routes a row by its position, between bounds computed from the count of
 * pass 1. The random split writes rows in shuffled order, so pass 2 stages the cleaned rows
 * in raw order in one local file and the split files are then copied from it row by row in
 * shuffled order; only the permutation and the row offsets (~17 bytes a row) stay in memory.
 * Training on arrived data (prepareArrivedDataset) routes by position too, over several
 * inputs in turn: the reference file's initial set, then each arrived batch (split.ts `arrived`).
 * Pass 2 must read the bytes pass 1 validated: a different sha256 means the object changed
 * while it was being read, which a retry fixes.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { BadDataError, TaskError } from '../runtime/errors.ts';
import { isPositive, type RowCleaner, rowCleaner } from './clean.ts';
import { formatRecord, readCsv } from './csv.ts';
import { HashedFileWriter, type WrittenFile } from './hashed-file.ts';
import { CLEAN_COLUMNS, type RawColumn } from './schema.ts';
import {
  arrivedBatchBounds,
  describeOriginSplit,
  originBounds,
  planSplit,
  type SplitDescription,
  type SplitName,
  type SplitSpec,
} from './split.ts';
import { validateStream } from './validate.ts';

export interface PreparedSplit {
  readonly name: SplitName;
  /** Raw rows assigned to this split, before cleaning. */
  readonly rawRows: number;
  /** Cleaned rows written (data rows; the file also has the CLEAN_COLUMNS header). */
  readonly rows: number;
  readonly positives: number;
  readonly droppedExcludedDischarge: number;
  /** The split's CSV file in the work directory. */
  readonly file: WrittenFile;
}

export interface PreparedDataset {
  /** The raw source file (for training on arrived data: the reference file). */
  readonly source: { readonly sha256: string; readonly bytes: number };
  readonly rawRows: number;
  readonly split: SplitDescription;
  readonly splits: readonly PreparedSplit[];
  readonly cleaning: { rows_in: number; rows_dropped_excluded_discharge: number; rows_out: number };
}

/** Opens the raw CSV bytes from the start; called once per pass. */
export type OpenSource = () => Promise<Readable>;

/** One raw CSV to read: its name in messages (the URI) and how to open it. */
export interface RawInput {
  readonly source: string;
  readonly open: OpenSource;
}

/** What pass 1 learnt about an input. */
interface CheckedInput extends RawInput {
  readonly index: Record<RawColumn, number>;
  readonly rawRows: number;
  readonly digest: { sha256: string; bytes: number };
}

/**
 * Validates, splits and cleans the raw CSV, writing `<split>.csv` files (header = CLEAN_COLUMNS)
 * into `workDir`; throws BadDataError when the data cannot be used.
 */
export async function prepareDataset(open: OpenSource, spec: SplitSpec, source: string, workDir: string): Promise<PreparedDataset> {
  const input = await validatePass({ source, open });
  const { rawRows } = input;
  const shuffled = spec.kind === 'random' ? planSplit(rawRows, spec) : undefined;
  const splits = shuffled
    ? await readAgain(input, (records) => writeShuffledSplits(records, rowCleaner(input.index), shuffled.parts, workDir))
    : await writeRoutedSplits(['train', 'validation', 'test', 'future'], workDir, async (outputs) => {
        const bounds = originBounds(rawRows);
        // Past the last bound only if the source grew between passes; the sha256 check then fails.
        await routeRows(input, (position) => outputs.find((output) => position < bounds[output.name][1]) ?? outputs.at(-1));
      });
  return summarize(input, shuffled?.description ?? describeOriginSplit(rawRows), splits, 'Use a larger file, or a split with more rows in');
}

/**
 * Training on arrived data: every row of the reference's origin initial set and of every batch
 * but the newest goes to train; the newest batch is cut by position into train, validation and
 * test (split.ts ARRIVED_SPLIT). No future split. Every input is validated before anything is
 * written; `batches` are raw CSVs with the reference's columns, oldest first.
 */
export async function prepareArrivedDataset(reference: RawInput, batches: readonly RawInput[], workDir: string): Promise<PreparedDataset> {
  if (!batches.length) throw new RangeError('prepareArrivedDataset needs at least one batch');
  const checkedReference = await validatePass(reference);
  const checkedBatches: CheckedInput[] = [];
  for (const batch of batches) checkedBatches.push(await validatePass(batch));
  const newest = checkedBatches.at(-1)!;
  const initialRows = originBounds(checkedReference.rawRows).test[1];
  const newestBounds = arrivedBatchBounds(newest.rawRows);

  const splits = await writeRoutedSplits(['train', 'validation', 'test'], workDir, async ([train, validation, test]) => {
    await routeRows(checkedReference, (position) => (position < initialRows ? train : undefined));
    for (const batch of checkedBatches.slice(0, -1)) await routeRows(batch, () => train);
    await routeRows(newest, (position) => (position < newestBounds.train[1] ? train : position < newestBounds.validation[1] ? validation : test));
  });
  const rowsIn = (part: readonly [number, number]) => part[1] - part[0];
  const split: SplitDescription = {
    kind: 'arrived',
    reference: { uri: reference.source, raw_rows: checkedReference.rawRows, initial_rows: initialRows },
    batches: checkedBatches.map((batch) => ({ uri: batch.source, raw_rows: batch.rawRows, sha256: batch.digest.sha256 })),
    newest: {
      uri: newest.source,
      train_rows: rowsIn(newestBounds.train),
      validation_rows: rowsIn(newestBounds.validation),
      test_rows: rowsIn(newestBounds.test),
    },
    applied: 'reference and older batches to train; newest batch split by position 50/25/25; then clean each part',
  };
  return summarize(checkedReference, split, splits, 'Take larger batches (batch_size), or fewer rows dropped, so that the newest batch has rows of both classes in');
}

/** Pass 1: hash, parse, validate and count an input's rows, keeping none. */
async function validatePass(input: RawInput): Promise<CheckedInput> {
  const first = hashing(await input.open());
  const { index, rows } = await validateStream(readCsv(first.stream, { source: input.source }), input.source);
  return { ...input, index, rawRows: rows, digest: first.digest() };
}

/** Pass 2: the input's data rows, read again and checked to be the bytes pass 1 validated. */
async function readAgain<T>(input: CheckedInput, consume: (records: AsyncIterable<readonly string[]>) => Promise<T>): Promise<T> {
  const second = hashing(await input.open());
  const result = await consume(dataRows(readCsv(second.stream, { source: input.source })));
  const reread = second.digest();
  if (reread.sha256 !== input.digest.sha256) {
    throw new TaskError(
      `${input.source} changed while it was being read (sha256 ${input.digest.sha256} on the first pass, ${reread.sha256} on the second). ` +
        `Wait for the upload to finish; the task fails retryably, so Airflow tries again later.`,
      true,
    );
  }
  return result;
}

/** Pass 2 of an input routed by position: each row is cleaned into the output `route` names, or left out. */
function routeRows(input: CheckedInput, route: (position: number) => SplitOutput | undefined): Promise<void> {
  const clean = rowCleaner(input.index);
  return readAgain(input, async (records) => {
    let position = 0;
    for await (const fields of records) {
      const output = route(position++);
      if (!output) continue;
      const row = clean(fields);
      await output.add(row && formatRecord(row), row !== undefined && isPositive(row));
    }
  });
}

/** Opens one output per split name, lets `write` fill them (in the order named), and closes them. */
function writeRoutedSplits(names: readonly SplitName[], workDir: string, write: (outputs: SplitOutput[]) => Promise<void>): Promise<PreparedSplit[]> {
  const outputs = names.map((name) => new SplitOutput(name, workDir));
  return withOutputs(outputs, async () => {
    await write(outputs);
    return Promise.all(outputs.map((output) => output.close()));
  });
}

/** The dataset's totals, after checking that every split a model needs has both classes. */
function summarize(source: CheckedInput, split: SplitDescription, splits: readonly PreparedSplit[], fix: string): PreparedDataset {
  const rowsIn = splits.reduce((sum, s) => sum + s.rawRows, 0);
  const rowsOut = splits.reduce((sum, s) => sum + s.rows, 0);
  const positives = splits.reduce((sum, s) => sum + s.positives, 0);
  const dropped = splits.reduce((sum, s) => sum + s.droppedExcludedDischarge, 0);
  checkTarget(source.source, rowsOut, positives, splits, fix);
  return {
    source: source.digest,
    rawRows: source.rawRows,
    split,
    splits,
    cleaning: { rows_in: rowsIn, rows_dropped_excluded_discharge: dropped, rows_out: rowsOut },
  };
}

/** One split file being written, with its counts. */
class SplitOutput {
  rawRows = 0;
  rows = 0;
  positives = 0;
  dropped = 0;
  private readonly writer: HashedFileWriter;

  constructor(
    readonly name: SplitName,
    workDir: string,
  ) {
    this.writer = new HashedFileWriter(path.join(workDir, `${name}.csv`));
  }

  start(): Promise<void> {
    return this.writer.append(formatRecord(CLEAN_COLUMNS));
  }

  /** Counts one raw row; appends its cleaned record (already formatted) unless it was dropped. */
  add(record: string | undefined, positive: boolean): Promise<void> | undefined {
    this.rawRows++;
    if (record === undefined) {
      this.dropped++;
      return undefined;
    }
    this.rows++;
    if (positive) this.positives++;
    return this.writer.append(record);
  }

  async close(): Promise<PreparedSplit> {
    const file = await this.writer.close();
    return { name: this.name, rawRows: this.rawRows, rows: this.rows, positives: this.positives, droppedExcludedDischarge: this.dropped, file };
  }

  abandon(): void {
    this.writer.abandon();
  }
}

async function withOutputs<T>(outputs: readonly SplitOutput[], write: () => Promise<T>): Promise<T> {
  try {
    for (const output of outputs) await output.start();
    return await write();
  } catch (error) {
    for (const output of outputs) output.abandon();
    throw error;
  }
}

/**
 * Random split: pass 2 stages every cleaned row, in raw order, in one file (a dropped row is
 * an empty entry); the split files are then filled from it in the planned (shuffled) order.
 */
async function writeShuffledSplits(
  records: AsyncIterable<readonly string[]>,
  clean: RowCleaner,
  parts: Partial<Record<SplitName, number[]>>,
  workDir: string,
): Promise<PreparedSplit[]> {
  const rawRows = Object.values(parts).reduce((sum, positions) => sum + positions.length, 0);
  const offsets = new Float64Array(rawRows + 1);
  const positive = new Uint8Array(rawRows);
  const staging = new HashedFileWriter(path.join(workDir, 'staging.csv'));
  let position = 0;
  try {
    for await (const fields of records) {
      const row = clean(fields);
      const text = row ? formatRecord(row) : '';
      if (position < rawRows) {
        offsets[position + 1] = offsets[position]! + Buffer.byteLength(text);
        positive[position] = row && isPositive(row) ? 1 : 0;
      }
      await staging.append(text);
      position++;
    }
  } catch (error) {
    staging.abandon();
    throw error;
  }
  const staged = await staging.close();

  const outputs = (Object.keys(parts) as SplitName[]).map((name) => new SplitOutput(name, workDir));
  return withOutputs(outputs, async () => {
    const fd = openSync(staged.path, 'r');
    try {
      let buffer = Buffer.alloc(64 * 1024);
      for (const output of outputs) {
        for (const at of parts[output.name]!) {
          const length = offsets[at + 1]! - offsets[at]!;
          if (length === 0) {
            output.add(undefined, false);
            continue;
          }
          if (length > buffer.length) buffer = Buffer.alloc(length);
          readSync(fd, buffer, 0, length, offsets[at]!);
          await output.add(buffer.toString('utf8', 0, length), positive[at] === 1);
        }
      }
    } finally {
      closeSync(fd);
    }
    return Promise.all(outputs.map((output) => output.close()));
  });
}

/** The data rows' fields (the header, already validated in pass 1, is skipped). */
export async function* dataRows(records: AsyncIterable<{ fields: string[] }>): AsyncGenerator<readonly string[]> {
  let header = true;
  for await (const { fields } of records) {
    if (header) header = false;
    else yield fields;
  }
}

/** Passes a byte stream through unchanged while computing its sha256 and length. */
export function hashing(input: Readable): { stream: Readable; digest(): { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  input.once('error', (error) => stream.destroy(error));
  stream.once('close', () => input.destroy()); // a reader that stops early must not leave the download open
  input.pipe(stream);
  let sha256: string | undefined;
  return { stream, digest: () => ({ sha256: (sha256 ??= hash.digest('hex')), bytes }) };
}

/** A target with one class (overall, or in a split a model is fitted or scored on) cannot train or be evaluated. */
function checkTarget(source: string, rowsOut: number, positives: number, splits: readonly PreparedSplit[], fix: string): void {
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
    if (split.rows === 0 || split.positives === 0 || split.positives === split.rows) {
      const what = split.rows === 0 ? 'has no rows' : `has only target ${split.positives === 0 ? 0 : 1} in its ${split.rows} rows`;
      throw new BadDataError(
        `${source}: after splitting and cleaning, the ${split.name} split ${what}; a model cannot be ${split.name === 'train' ? 'trained' : 'evaluated'} on it. ` +
          `${fix} ${split.name}.`,
      );
    }
  }
}
