/**
 * Imports DAG source files and returns the DAGs they default-export. A file that cannot be
 * loaded (syntax error, a name used before its declaration, a bad import, anything it throws)
 * becomes a one-line diagnostic with its file:line and a fix; the original error is kept as
 * `cause` for `--verbose`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DagError, type Dag } from '../dsl/index.ts';
import { HealthPredictError } from '../runtime/errors.ts';

export class DagSourceError extends HealthPredictError {}

export interface LoadedDag {
  readonly file: string;
  readonly dag: Dag;
}

export interface LoadResult {
  readonly loaded: readonly LoadedDag[];
  /** One per file that could not be loaded, plus duplicate DAG ids. */
  readonly errors: readonly Error[];
}

const rel = (root: string, file: string): string => path.relative(root, file) || file;

/** Loads every file, collecting what fails instead of stopping at the first. */
export async function loadDagSources(files: readonly string[], root = process.cwd()): Promise<LoadResult> {
  const loaded: LoadedDag[] = [];
  const errors: Error[] = [];
  for (const file of files) {
    const absolute = path.resolve(file);
    try {
      const module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
      const dag = module.default as Dag | undefined;
      if (!dag || dag.kind !== 'dag') {
        errors.push(new DagSourceError(`${rel(root, absolute)}:1: a DAG source must 'export default dag(...)'; this one exports ${dag === undefined ? 'nothing by default' : typeof dag}. Put 'export default' before its dag(...) call.`));
      } else loaded.push({ file, dag });
    } catch (error) {
      errors.push(error instanceof DagError ? error : describeLoadFailure(error, absolute, root));
    }
  }
  const seen = new Map<string, string>();
  for (const { file, dag } of loaded) {
    const other = seen.get(dag.dagId);
    if (other) errors.push(new DagSourceError(`${rel(root, path.resolve(file))}:1: DAG id '${dag.dagId}' is already declared in ${rel(root, path.resolve(other))}. DAG ids must be unique; rename one.`));
    else seen.set(dag.dagId, file);
  }
  return { loaded, errors };
}

/** Loads every file; throws one DagSourceError listing every file that failed. */
export async function loadDags(files: readonly string[], root = process.cwd()): Promise<LoadedDag[]> {
  const { loaded, errors } = await loadDagSources(files, root);
  if (errors.length) throw new DagSourceError(errors.map((e) => e.message).join('\n'), { cause: errors[0] });
  return [...loaded];
}

/** The first `file:line` in `text` that names a project file (not node_modules or Node's own). */
function userFrame(text: string, fallbackFile: string): { file: string; line: number } | undefined {
  for (const match of text.matchAll(/((?:file:\/\/)?\/[^\s():]+):(\d+)(?::\d+)?/g)) {
    const file = match[1]!.replace(/^file:\/\//, '');
    if (file.includes(`${path.sep}node_modules${path.sep}`) || !existsSync(file)) continue;
    return { file, line: Number(match[2]) };
  }
  return existsSync(fallbackFile) ? { file: fallbackFile, line: 1 } : undefined;
}

/** The line of `dagFile` that imports `specifier` (1 when it cannot be found). */
function importLine(dagFile: string, specifier: string | undefined): number {
  if (!specifier) return 1;
  const lines = readFileSync(dagFile, 'utf8').split('\n');
  const quoted = [`'${specifier}'`, `"${specifier}"`];
  const index = lines.findIndex((line) => !/^\s*\/\//.test(line) && /\b(from|import)\b/.test(line) && quoted.some((q) => line.includes(q)));
  return index + 1 || 1;
}

function describeLoadFailure(error: unknown, dagFile: string, root: string): DagSourceError {
  const failure = error instanceof Error ? error : new Error(String(error));
  const code = (failure as { code?: string }).code;
  const at = (where: { file: string; line: number } | undefined) => (where ? `${rel(root, where.file)}:${where.line}` : rel(root, dagFile));
  let message: string;
  if (failure.name === 'TransformError' || /^Transform failed/.test(failure.message)) {
    const match = /^(\/[^\n:]+):(\d+):\d+: ERROR: (.*)$/m.exec(failure.message);
    const where = match ? { file: match[1]!, line: Number(match[2]) } : userFrame(failure.message, dagFile);
    message = `${at(where)}: syntax error: ${match ? match[3] : failure.message.split('\n').pop()}. Fix the TypeScript syntax on that line (a missing bracket or comma is usual).`;
  } else if (code === 'ERR_MODULE_NOT_FOUND') {
    const specifier = /Cannot find (?:module|package) '([^']+)'/.exec(failure.message)?.[1];
    const importer = /imported from (\/\S+)/.exec(failure.message)?.[1] ?? dagFile;
    const written = specifier && path.isAbsolute(specifier) ? path.relative(path.dirname(importer), specifier).replace(/^(?!\.)/, './') : specifier;
    const resolved = specifier && path.isAbsolute(specifier) ? ` (${rel(root, specifier)})` : '';
    message = `${rel(root, importer)}:${importLine(importer, written)}: cannot import '${written}'${resolved}: no such file or package. Check the path (relative to the importing file, with its .ts extension) or install the package.`;
  } else if (failure instanceof SyntaxError && /does not provide an export named/.test(failure.message)) {
    const exportName = /export named '([^']+)'/.exec(failure.message)?.[1];
    const moduleName = /requested module '([^']+)'/.exec(failure.message)?.[1];
    message = `${at(userFrame(failure.stack ?? '', dagFile))}: '${moduleName}' has no export named '${exportName}'. Import one of the names it exports (a default export is imported without braces).`;
  } else if (failure instanceof ReferenceError && /before initialization/.test(failure.message)) {
    const name = /access '([^']+)'/.exec(failure.message)?.[1];
    message = `${at(userFrame(failure.stack ?? '', dagFile))}: '${name}' is used before its declaration. Declare '${name}' above this line (tasks must exist before they are listed in "after" or bound as inputs).`;
  } else {
    message = `${at(userFrame(failure.stack ?? '', dagFile))}: loading the DAG file failed: ${failure.name}: ${failure.message.split('\n')[0]}. Fix this line.`;
  }
  return new DagSourceError(message, { cause: failure });
}
