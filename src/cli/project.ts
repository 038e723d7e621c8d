/** Where things live in a checkout. One place, so commands and tests agree. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Folders whose `*.dag.ts` files are DAG sources. */
export const DAG_SOURCE_DIRS = ['src/pipeline', 'examples'] as const;
/** Folders whose `<script>.ts` files are task scripts (one defineTask each). */
export const TASK_SCRIPT_DIRS = ['src/tasks', 'examples/tasks'] as const;
export const GENERATED_DAGS_DIR = 'generated/dags';
export const TASK_BUNDLE_DIR = 'dist/tasks';

export function listFiles(root: string, dirs: readonly string[], suffix: string): string[] {
  return dirs
    .flatMap((dir) => {
      const abs = path.join(root, dir);
      return existsSync(abs) ? readdirSync(abs).filter((name) => name.endsWith(suffix)).map((name) => path.join(abs, name)) : [];
    })
    .sort();
}

/** script id → its source file, for every task script in the project. */
export function taskScripts(root: string): Map<string, string> {
  const scripts = new Map<string, string>();
  for (const file of listFiles(root, TASK_SCRIPT_DIRS, '.ts')) {
    const id = path.basename(file, '.ts');
    if (!scripts.has(id)) scripts.set(id, file);
  }
  return scripts;
}
