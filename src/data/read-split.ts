import { BadDataError } from '../runtime/index.ts';
import { parseCsv } from './csv.ts';
import type { SplitFile } from './manifest.ts';
import { sha256, type ObjectStore } from './object-store.ts';

/** A split file's bytes, checked against the manifest's sha256 (it must not change after prepare). */
export async function readSplit(store: ObjectStore, file: SplitFile): Promise<Buffer> {
  const { body } = await store.get(file.uri);
  const actual = sha256(body);
  if (actual !== file.sha256) {
    throw new BadDataError(`${file.uri} does not match the manifest (sha256 ${actual}, expected ${file.sha256}); it changed after prepare_training_data. Re-run the DAG.`);
  }
  return body;
}

/** A split file's rows as records keyed by column name (checked like `readSplit`); BadDataError when empty. */
export async function readSplitRows(store: ObjectStore, file: SplitFile): Promise<Record<string, string>[]> {
  const body = await readSplit(store, file);
  const [header, ...records] = parseCsv(body.toString('utf8'), { source: file.uri });
  if (!header || !records.length) throw new BadDataError(`${file.uri} has no rows.`);
  return records.map((record) => Object.fromEntries(header.fields.map((name, i) => [name, record.fields[i] ?? ''])));
}
