import { BadDataError } from '../runtime/index.ts';
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
