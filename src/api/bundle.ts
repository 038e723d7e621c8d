/**
 * The prediction service as one file for the image: `<outDir>/server.mjs`, run with
 * `node server.mjs`. onnxruntime-node (native) stays external and must be installed next to
 * it (`npm install --omit=dev onnxruntime-node@<the lockfile's version>` in the image, or a
 * copy of node_modules/onnxruntime-node).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NATIVE_EXTERNALS } from '../cli/bundle.ts';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'server.ts');

export interface ApiBundle {
  readonly file: string;
  readonly bytes: number;
  /** Every source file and package file in the bundle (relative to the working directory). */
  readonly inputs: readonly string[];
}

export async function bundleApi(outDir: string): Promise<ApiBundle> {
  const outfile = path.join(outDir, 'server.mjs');
  const result = await build({
    entryPoints: [SERVER],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    sourcemap: 'linked',
    external: NATIVE_EXTERNALS,
    // CommonJS dependencies (fastify, pino, prom-client) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __hpCreateRequire } from 'node:module'; const require = __hpCreateRequire(import.meta.url);" },
    logLevel: 'silent',
    metafile: true,
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => path.resolve(file) === path.resolve(outfile));
  return { file: outfile, bytes: output?.[1].bytes ?? 0, inputs: Object.keys(result.metafile.inputs) };
}
