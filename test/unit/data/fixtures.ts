/** Hand-made raw rows and CSV text for the data tests. */
import { expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { formatCsv, parseCsv } from '../../../src/data/csv.ts';
import { type PreparedDataset, type PreparedSplit, prepareDataset } from '../../../src/data/dataset.ts';
import type { SplitSpec } from '../../../src/data/split.ts';
import { fileUri } from '../../../src/data/object-store.ts';
import { MEDICATION_COLUMNS, RAW_COLUMNS, type RawColumn } from '../../../src/data/schema.ts';

export type RawRow = Partial<Record<RawColumn, string | number>>;

/** A valid raw row: a 70–80-year-old, discharged home, readmitted '>30' unless overridden. */
export function rawRow(overrides: RawRow = {}): string[] {
  const base: Record<RawColumn, string | number> = {
    encounter_id: 2278392, patient_nbr: 8222157, race: 'Caucasian', gender: 'Female', age: '[70-80)', weight: '?',
    admission_type_id: 1, discharge_disposition_id: 1, admission_source_id: 7, time_in_hospital: 3, payer_code: 'MC',
    medical_specialty: '?', num_lab_procedures: 41, num_procedures: 0, num_medications: 12, number_outpatient: 0,
    number_emergency: 0, number_inpatient: 1, diag_1: '428', diag_2: '250.01', diag_3: 'V45', number_diagnoses: 9,
    max_glu_serum: 'None', A1Cresult: '>8',
    ...(Object.fromEntries(MEDICATION_COLUMNS.map((m) => [m, 'No'])) as Record<(typeof MEDICATION_COLUMNS)[number], string>),
    insulin: 'Up', change: 'Ch', diabetesMed: 'Yes', readmitted: '>30',
  };
  const row = { ...base, ...overrides };
  return RAW_COLUMNS.map((name) => String(row[name]));
}

export const rawCsv = (rows: readonly string[][], header: readonly string[] = RAW_COLUMNS) => formatCsv(header, rows);

/** `n` valid rows alternating between readmitted and not (both classes everywhere). */
export const mixedRows = (n: number): string[][] =>
  Array.from({ length: n }, (_, i) => rawRow({ encounter_id: 1000 + i, readmitted: ['NO', '>30', '<30', 'NO'][i % 4]! }));

/** A temporary directory with a writer returning file:// URIs; call `cleanup` in afterAll. */
export function tempDir(prefix = 'hp-data-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    dir,
    uri: (name: string) => fileUri(path.join(dir, name)),
    write(name: string, text: string): string {
      writeFileSync(path.join(dir, name), text);
      return fileUri(path.join(dir, name));
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A prepared split with its file read back: the cleaned rows (header excluded). */
export type PreparedRows = Omit<PreparedSplit, 'rows'> & { readonly rows: string[][]; readonly text: string };

/** Runs the streaming preparation on in-memory text (split into `chunkBytes` pieces) and reads the split files back. */
export async function prepareText(
  text: string | Buffer,
  spec: SplitSpec,
  source: string,
  chunkBytes = 64 * 1024,
): Promise<Omit<PreparedDataset, 'splits'> & { splits: PreparedRows[] }> {
  const bytes = Buffer.from(text);
  const workDir = mkdtempSync(path.join(tmpdir(), 'hp-dataset-'));
  try {
    const open = async () => Readable.from(chunks(bytes, chunkBytes));
    const prepared = await prepareDataset(open, spec, source, workDir);
    const splits = prepared.splits.map((split) => {
      const written = readFileSync(split.file.path, 'utf8');
      const rows = parseCsv(written).slice(1).map((r) => r.fields);
      expect(rows).toHaveLength(split.rows);
      return { ...split, rows, text: written };
    });
    return { ...prepared, splits };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}
