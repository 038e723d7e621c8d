/** One esbuild bundle per task script: dist/tasks/<script>.mjs, run by the DAG with `node`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const RUNTIME_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../runtime/main.ts');

/**
 * Resolved from node_modules at run time, never bundled: packages with native binaries, and
 * dockerode (its CommonJS code reads __dirname, which an ESM bundle does not define).
 */
export const NATIVE_EXTERNALS = ['onnxruntime-node', 'cpu-features', 'ssh2', 'dockerode'];

export interface BundleResult {
  readonly script: string;
  readonly file: string;
  readonly bytes: number;
}

export async function bundleTask(script: string, sourceFile: string, outDir: string): Promise<BundleResult> {
  const outfile = path.join(outDir, `${script}.mjs`);
  const entry = [
    `import definition from ${JSON.stringify(sourceFile)};`,
    `import { main } from ${JSON.stringify(RUNTIME_MAIN)};`,
    `if (definition?.kind !== 'task-definition' || definition.id !== ${JSON.stringify(script)}) {`,
    `  throw new Error(${JSON.stringify(`${sourceFile} must 'export default defineTask({ id: '${script}', ... })'.`)});`,
    '}',
    'await main(definition);',
  ].join('\n');
  const result = await build({
    stdin: { contents: entry, resolveDir: path.dirname(sourceFile), sourcefile: `${script}.entry.ts`, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    sourcemap: 'linked',
    external: NATIVE_EXTERNALS,
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __hpCreateRequire } from 'node:module'; const require = __hpCreateRequire(import.meta.url);" },
    logLevel: 'silent',
    metafile: true,
  });
  const bytes = result.metafile.outputs[path.relative(process.cwd(), outfile)]?.bytes ?? 0;
  return { script, file: outfile, bytes };
}

export async function bundleTasks(scripts: ReadonlyMap<string, string>, outDir: string): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const [script, file] of scripts) results.push(await bundleTask(script, file, outDir));
  return results;
}
