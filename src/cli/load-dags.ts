/** Imports DAG source files and returns the DAGs they default-export. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dag } from '../dsl/index.ts';
import { HealthPredictError } from '../runtime/errors.ts';

export class DagSourceError extends HealthPredictError {}

export interface LoadedDag {
  readonly file: string;
  readonly dag: Dag;
}

export async function loadDags(files: readonly string[]): Promise<LoadedDag[]> {
  const loaded: LoadedDag[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
    const dag = module.default as Dag | undefined;
    if (!dag || dag.kind !== 'dag') {
      throw new DagSourceError(`${file}: a DAG source must 'export default dag(...)'; this one exports ${dag === undefined ? 'nothing by default' : typeof dag}.`);
    }
    loaded.push({ file, dag });
  }
  const seen = new Map<string, string>();
  for (const { file, dag } of loaded) {
    const other = seen.get(dag.dagId);
    if (other) throw new DagSourceError(`DAG id '${dag.dagId}' is declared twice: in ${other} and ${file}. DAG ids must be unique.`);
    seen.set(dag.dagId, file);
  }
  return loaded;
}
