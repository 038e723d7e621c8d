/** One esbuild bundle per task script: dist/tasks/<script>.mjs, run by the DAG with `node`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../host/node-bundle.ts';

const RUNTIME_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../runtime/main.ts');

export interface BundleResult {
  readonly script: string;
  readonly file: string;
  readonly bytes: number;
}

export async function bundleTask(script: string, sourceFile: string, outDir: string): Promise<BundleResult> {
  const entry = [
    `import definition from ${JSON.stringify(sourceFile)};`,
    `import { main } from ${JSON.stringify(RUNTIME_MAIN)};`,
    `if (definition?.kind !== 'task-definition' || definition.id !== ${JSON.stringify(script)}) {`,
    `  throw new Error(${JSON.stringify(`${sourceFile} must 'export default defineTask({ id: '${script}', ... })'.`)});`,
    '}',
    'await main(definition);',
  ].join('\n');
  const { file, bytes } = await bundleForNode(
    { stdin: { contents: entry, resolveDir: path.dirname(sourceFile), sourcefile: `${script}.entry.ts`, loader: 'ts' } },
    path.join(outDir, `${script}.mjs`),
  );
  return { script, file, bytes };
}

export async function bundleTasks(scripts: ReadonlyMap<string, string>, outDir: string): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const [script, file] of scripts) results.push(await bundleTask(script, file, outDir));
  return results;
}
