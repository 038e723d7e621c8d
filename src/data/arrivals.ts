/**
 * Arriving data: the cursor over the batches that have arrived since the origin split, kept in
 * the object store at `<monitoring_uri>/cursor.json`. Each call of `takeNextBatch` copies the
 * next batch, as a raw CSV with the source's header (RAW_COLUMNS, so prepare's validation and
 * cleaning apply unchanged), to `<monitoring_uri>/batches/batch-NNNN.csv`, then records it in
 * the cursor. Two sources:
 *
 * - `held_back` (the local simulation): the raw file's held-back rows — the raw positions after
 *   the origin split's initial set (split.ts heldBackRange) — in file order, `batchSize` raw
 *   rows a batch. The cursor records the raw file's sha256 and row count when it is created; a
 *   raw file that changed since is refused (the positions would no longer mean the same rows).
 * - `prefix` (a real deployment): every object under the prefix is one batch, taken oldest key
 *   first, one a call; the cursor records the keys taken. Objects under the monitoring prefix
 *   itself are never taken, so it may live inside the arrival prefix.
 *
 * The batch file is written before the cursor, so a failure between the two only means the same
 * batch is taken again. An Airflow retry of the run that took the last batch (same dag run id)
 * gets that batch again instead of the next one. Two runs taking batches at the same time are
 * not guarded against: the drift DAG runs one at a time (max_active_runs 1).
 *
 * Bounded memory: the raw file and the arriving objects are streamed (csv.ts readCsv), rows are
 * validated one at a time (validate.ts RawValidator) and the batch is built in a local file.
 * Rows are re-encoded with csv.ts formatRecord (LF line ends): every field keeps its exact text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { BadDataError, ConfigurationError, TaskError } from '../runtime/errors.ts';
import { type CsvRecord, formatRecord, readCsv } from './csv.ts';
import { hashing } from './dataset.ts';
import { HashedFileWriter } from './hashed-file.ts';
import { joinUri, type ObjectStore } from './object-store.ts';
import { heldBackRange } from './split.ts';
import { RawValidator, validateStream } from './validate.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const count = z.number().int().nonnegative();

/** Where batches arrive from. */
export const arrivalSourceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('held_back'),
      /** The raw file (diabetic_data.csv) whose held-back rows arrive in order. */
      raw_uri: z.string(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('prefix'),
      /** A folder-like prefix new raw CSVs are dropped under (`s3://bucket/arriving/`). */
      uri: z.string(),
    })
    .strict(),
]);
export type ArrivalSource = z.infer<typeof arrivalSourceSchema>;

/** Where one batch's rows came from. */
export const batchOriginSchema = z.discriminatedUnion('kind', [
  /** Raw positions (0 = the first data row), inclusive. */
  z.object({ kind: z.literal('held_back'), raw_uri: z.string(), first: count, last: count }),
  z.object({ kind: z.literal('object'), uri: z.string(), size: count, etag: z.string().optional() }),
]);
export type BatchOrigin = z.infer<typeof batchOriginSchema>;

export const arrivedBatchSchema = z.object({
  /** 1-based, in order of arrival. */
  index: z.number().int().min(1),
  /** The batch's raw CSV: `<monitoring_uri>/batches/batch-NNNN.csv`. */
  uri: z.string(),
  /** Data rows in the batch (header excluded), before cleaning. */
  raw_rows: count,
  source: batchOriginSchema,
  /** Of the batch file's bytes. */
  sha256,
  bytes: count,
  taken_at: z.iso.datetime(),
  /** The dag run that took it (a retry of that run gets the same batch again). */
  dag_run_id: z.string(),
});
export type ArrivedBatch = z.infer<typeof arrivedBatchSchema>;

/** The raw file of a held_back source, as it was when the cursor was created. */
const rawFileSchema = z.object({
  sha256,
  bytes: count,
  /** Data rows (header excluded). */
  rows: count,
  /** The held-back raw positions, inclusive (first > last when there are none). */
  held_back: z.object({ first: count, last: z.number().int() }),
});

export const arrivalCursorSchema = z.object({
  source: arrivalSourceSchema,
  /** held_back sources only. */
  raw: rawFileSchema.optional(),
  /** Every batch taken so far, oldest first. */
  batches: z.array(arrivedBatchSchema),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ArrivalCursor = z.infer<typeof arrivalCursorSchema>;

export const CURSOR_FILE = 'cursor.json';
export const BATCHES_FOLDER = 'batches';
/** `batch-0001.csv`, … (more digits past 9999). */
export const batchFileName = (index: number) => `batch-${String(index).padStart(4, '0')}.csv`;

export interface TakeNextBatchRequest {
  readonly store: ObjectStore;
  /** The drift monitoring prefix: cursor.json and batches/ live under it. */
  readonly monitoringUri: string;
  readonly source: ArrivalSource;
  /** Raw rows per batch (held_back sources; a prefix's batch is one whole object). */
  readonly batchSize: number;
  readonly dagRunId: string;
  readonly now?: () => Date;
}

/** A batch (with the cursor that now records it), or why there is none. */
export type TakenBatch =
  | { readonly batch: ArrivedBatch; readonly repeated: boolean; readonly cursor: ArrivalCursor }
  | { readonly batch: null; readonly reason: string };

/** The cursor at `<monitoringUri>/cursor.json`, or undefined when no batch was ever taken there. */
export async function readCursor(store: ObjectStore, monitoringUri: string): Promise<ArrivalCursor | undefined> {
  const uri = joinUri(monitoringUri, CURSOR_FILE);
  if (!(await store.exists(uri))) return undefined;
  const { body } = await store.get(uri);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new BadDataError(`${uri} is not JSON (${(error as Error).message}). ${RESET_HINT(uri)}`, { cause: error });
  }
  const parsed = arrivalCursorSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new BadDataError(`${uri} is not an arrival cursor: ${problems.join('; ')}. ${RESET_HINT(uri)}`);
  }
  return parsed.data;
}

/** Every batch taken so far, oldest first. */
export function arrivedBatches(cursor: ArrivalCursor | undefined): ArrivedBatch[] {
  return [...(cursor?.batches ?? [])];
}

/**
 * Takes the next batch of arriving data: writes it to `<monitoringUri>/batches/batch-NNNN.csv`,
 * then records it in the cursor, which is returned too. `{ batch: null, reason }` when nothing
 * new has arrived; `repeated: true` when this dag run had already taken the batch (an Airflow retry).
 */
export async function takeNextBatch(request: TakeNextBatchRequest): Promise<TakenBatch> {
  const { store, monitoringUri, source } = request;
  const cursorUri = joinUri(monitoringUri, CURSOR_FILE);
  const cursor = await readCursor(store, monitoringUri);
  if (cursor && !sameSource(cursor.source, source)) {
    throw new ConfigurationError(
      `${cursorUri} follows ${describeSource(cursor.source)}, but this run asks for ${describeSource(source)}. ` +
        `Pass the source the cursor was created for, use another monitoring prefix, or start over from the first batch by deleting ${cursorUri}.`,
    );
  }
  const last = cursor?.batches.at(-1);
  if (cursor && last && last.dag_run_id === request.dagRunId) return { batch: last, repeated: true, cursor };

  const workDir = await mkdtemp(path.join(tmpdir(), 'hp-arrivals-'));
  try {
    const next = source.kind === 'held_back' ? await nextHeldBack(request, source, cursor, workDir) : await nextObject(request, source, cursor, workDir);
    if ('reason' in next) return { batch: null, reason: next.reason };

    const index = (last?.index ?? 0) + 1;
    const uri = joinUri(joinUri(monitoringUri, BATCHES_FOLDER), batchFileName(index));
    await store.putFile(uri, next.file.path, 'text/csv');
    const takenAt = (request.now?.() ?? new Date()).toISOString();
    const batch: ArrivedBatch = arrivedBatchSchema.parse({
      index,
      uri,
      raw_rows: next.rawRows,
      source: next.origin,
      sha256: next.file.sha256,
      bytes: next.file.bytes,
      taken_at: takenAt,
      dag_run_id: request.dagRunId,
    });
    const updated: ArrivalCursor = {
      source,
      ...(next.raw ? { raw: next.raw } : {}),
      batches: [...arrivedBatches(cursor), batch],
      created_at: cursor?.created_at ?? takenAt,
      updated_at: takenAt,
    };
    await store.put(cursorUri, `${JSON.stringify(arrivalCursorSchema.parse(updated), null, 2)}\n`, 'application/json');
    return { batch, repeated: false, cursor: updated };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

type RawFile = z.infer<typeof rawFileSchema>;

/** A batch built in the work directory, or why there is none. */
type NextBatch =
  | { readonly file: { path: string; sha256: string; bytes: number }; readonly rawRows: number; readonly origin: BatchOrigin; readonly raw?: RawFile }
  | { readonly reason: string };

async function nextHeldBack(
  { store, batchSize, monitoringUri }: TakeNextBatchRequest,
  source: Extract<ArrivalSource, { kind: 'held_back' }>,
  cursor: ArrivalCursor | undefined,
  workDir: string,
): Promise<NextBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigurationError(`The batch size is ${batchSize}; it must be a whole number of raw rows >= 1 (e.g. 10000).`);
  }
  const { raw_uri: rawUri } = source;
  const raw = cursor?.raw ?? (await describeRawFile(store, rawUri));
  const taken = cursor?.batches ?? [];
  const lastOrigin = taken.at(-1)?.source;
  const from = lastOrigin?.kind === 'held_back' ? lastOrigin.last + 1 : raw.held_back.first;
  const end = raw.held_back.last + 1;
  if (from >= end) {
    const total = end - raw.held_back.first;
    return { reason: `all ${total} held-back rows of ${rawUri} (raw rows ${raw.held_back.first}–${raw.held_back.last}) were taken by ${taken.length} batch(es); nothing new` };
  }
  const to = Math.min(end, from + batchSize);

  const object = await store.getStream(rawUri);
  const read = hashing(object.body);
  const writer = new HashedFileWriter(path.join(workDir, 'batch.csv'));
  let rows: number;
  try {
    rows = await copyRows(readCsv(read.stream, { source: rawUri }), rawUri, writer, (position) => position >= from && position < to);
  } catch (error) {
    writer.abandon();
    throw error;
  }
  const file = await writer.close();
  const { sha256: now } = read.digest();
  if (now !== raw.sha256 || rows !== raw.rows) {
    if (cursor) {
      throw new BadDataError(
        `${rawUri} changed since the arrival cursor was created (sha256 ${raw.sha256}, ${raw.rows} rows then; ${now}, ${rows} rows now), ` +
          `so the cursor's raw positions no longer name the same rows. Restore the original file, or start over from the first batch by deleting ` +
          `${joinUri(monitoringUri, CURSOR_FILE)}.`,
      );
    }
    throw new TaskError(`${rawUri} changed while it was being read (sha256 ${raw.sha256}, then ${now}). Wait for the upload to finish; the task fails retryably.`, true);
  }
  return { file, rawRows: to - from, origin: { kind: 'held_back', raw_uri: rawUri, first: from, last: to - 1 }, raw };
}

async function nextObject(
  { store, monitoringUri }: TakeNextBatchRequest,
  source: Extract<ArrivalSource, { kind: 'prefix' }>,
  cursor: ArrivalCursor | undefined,
  workDir: string,
): Promise<NextBatch> {
  const taken = new Set(cursor?.batches.map((batch) => (batch.source.kind === 'object' ? batch.source.uri : '')));
  const own = joinUri(monitoringUri, '');
  const listed = await store.list(source.uri);
  const waiting = listed.filter((object) => !object.uri.startsWith(own) && !taken.has(object.uri));
  const oldest = waiting[0];
  if (!oldest) {
    return { reason: `no new object under ${source.uri} since the last batch (${taken.size} object(s) taken so far); nothing new` };
  }
  const object = await store.getStream(oldest.uri);
  const writer = new HashedFileWriter(path.join(workDir, 'batch.csv'));
  let rows: number;
  try {
    rows = await copyRows(readCsv(object.body, { source: oldest.uri }), oldest.uri, writer, () => true);
  } catch (error) {
    writer.abandon();
    if (error instanceof BadDataError) {
      throw new BadDataError(`${error.message}\nIt arrived under ${source.uri} and blocks the batches after it: fix it, or remove it from ${source.uri}.`, { cause: error });
    }
    throw error;
  }
  const file = await writer.close();
  return { file, rawRows: rows, origin: { kind: 'object', uri: oldest.uri, size: oldest.size, ...(oldest.etag ? { etag: oldest.etag } : {}) } };
}

/** Pass over a new held_back source's raw file: validated, hashed and counted, with its held-back range. */
async function describeRawFile(store: ObjectStore, rawUri: string): Promise<RawFile> {
  const read = hashing((await store.getStream(rawUri)).body);
  const { rows } = await validateStream(readCsv(read.stream, { source: rawUri }), rawUri);
  const { sha256: digest, bytes } = read.digest();
  const [first, end] = heldBackRange(rows);
  return { sha256: digest, bytes, rows, held_back: { first, last: end - 1 } };
}

/**
 * Copies the header and the data rows `keep` selects (by 0-based position) to `writer`,
 * validating each one; reads to the end and returns the count of data rows in the stream.
 */
async function copyRows(records: AsyncIterable<CsvRecord>, source: string, writer: HashedFileWriter, keep: (position: number) => boolean): Promise<number> {
  let validator: RawValidator | undefined;
  let position = 0;
  for await (const record of records) {
    if (!validator) {
      validator = new RawValidator(record, source);
      await writer.append(formatRecord(record.fields));
      continue;
    }
    if (keep(position++)) {
      validator.check(record);
      await writer.append(formatRecord(record.fields));
    }
  }
  const checked = validator ?? new RawValidator(undefined, source); // an empty file: the constructor throws, naming it
  if (checked.rows === 0) throw new BadDataError(`${source} has a header but no data rows; a batch needs at least one row.`);
  checked.finish();
  return position;
}

const sameSource = (a: ArrivalSource, b: ArrivalSource) =>
  a.kind === 'held_back' && b.kind === 'held_back' ? a.raw_uri === b.raw_uri : a.kind === 'prefix' && b.kind === 'prefix' && trim(a.uri) === trim(b.uri);
const trim = (uri: string) => uri.replace(/\/+$/, '');

const describeSource = (source: ArrivalSource) =>
  source.kind === 'held_back' ? `the held-back rows of ${source.raw_uri}` : `the objects arriving under ${source.uri}`;

const RESET_HINT = (uri: string) => `Restore it, or start over from the first batch by deleting ${uri}.`;
