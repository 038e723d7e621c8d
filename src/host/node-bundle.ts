/**
 * The one esbuild configuration of the project: a single ESM file for Node 20 with a linked
 * source map, packages with native parts left to node_modules, and a `require()` for the
 * CommonJS dependencies. The task bundler (src/cli/bundle.ts) and the API bundler
 * (src/api/bundle.ts) both build through it.
 */
import path from 'node:path';
import { type StdinOptions, build } from 'esbuild';

/**
 * Resolved from node_modules at run time, never bundled: packages with native binaries
 * (esbuild itself refuses to run from a bundle), and dockerode (its CommonJS code reads
 * __dirname, which an ESM bundle does not define).
 */
export const NATIVE_EXTERNALS = ['onnxruntime-node', 'cpu-features', 'ssh2', 'dockerode', 'esbuild'];

export type BundleEntry = { readonly file: string } | { readonly stdin: StdinOptions };

export interface NodeBundle {
  readonly file: string;
  readonly bytes: number;
  /** Every source file and package file in the bundle (relative to the working directory). */
  readonly inputs: readonly string[];
}

/** Bundles `entry` and everything it imports into `outfile` (plus `<outfile>.map`). */
export async function bundleForNode(entry: BundleEntry, outfile: string): Promise<NodeBundle> {
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: entry.stdin }),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    sourcemap: 'linked',
    external: NATIVE_EXTERNALS,
    // CommonJS dependencies (fastify, pino, prom-client…) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __hpCreateRequire } from 'node:module'; const require = __hpCreateRequire(import.meta.url);" },
    logLevel: 'silent',
    metafile: true,
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => path.resolve(file) === path.resolve(outfile));
  return { file: outfile, bytes: output?.[1].bytes ?? 0, inputs: Object.keys(result.metafile.inputs) };
}
