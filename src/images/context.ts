/**
 * The API image's build context, assembled in a temp dir so only what the image needs is sent
 * to the daemon (the repo holds GBs of virtualenvs and caches):
 *
 *   Dockerfile
 *   runtime/node_modules/onnxruntime-node   package.json, dist/, bin/napi-v6/linux/<arch>/ only
 *   runtime/node_modules/onnxruntime-common
 *   app/server.mjs …                        the API bundle (bundleApi, or a given directory)
 *   app/model/{model.onnx,metadata.json,model-info.json}
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleApi } from '../api/bundle.ts';
import { REPO_ROOT } from '../host/repo-root.ts';
import { BuildInputError } from './errors.ts';

export const DEFAULT_DOCKERFILE = path.join(REPO_ROOT, 'deploy/api/Dockerfile');
/** Where `health-predict bundle` writes the prediction service (server.mjs), relative to the checkout. */
export const API_BUNDLE_DIR = 'dist/api';

/** What the server reads from MODEL_DIR. */
export const MODEL_FILES = ['model.onnx', 'metadata.json', 'model-info.json'] as const;

/**
 * onnxruntime-node's dist/ requires only onnxruntime-common and its own native binding
 * (checked against 1.30); adm-zip and global-agent serve its install script, not the runtime.
 */
const RUNTIME_PACKAGES: readonly { name: string; include?: (arch: string) => string[] }[] = [
  { name: 'onnxruntime-node', include: (arch) => ['package.json', 'dist', path.join('bin/napi-v6/linux', arch)] },
  { name: 'onnxruntime-common' },
];

export interface ApiContextOptions {
  /** The model version's files (MODEL_FILES). */
  modelDir: string;
  /** A directory holding the bundled API (server.mjs…). Default: bundleApi() from src/api/bundle.ts. */
  appDir?: string;
  dockerfile?: string;
  /** Where the runtime packages are installed (default <repo>/node_modules). */
  nodeModules?: string;
  /** CPU architecture of the image (default this machine's). */
  arch?: string;
}

export interface BuildContext {
  dir: string;
  /** Top-level entries, for the tar packer. */
  entries: string[];
  bytes: number;
  cleanup(): void;
}

/** Bytes of a file, or of every file under a directory. */
export function sizeOf(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((sum, entry) => sum + sizeOf(path.join(target, entry)), 0);
}

/** World-readable files and dirs: the image's user (10001) owns nothing and must still read everything. */
export function normaliseModes(target: string): void {
  const stat = statSync(target);
  if (stat.isDirectory()) {
    chmodSync(target, 0o755);
    for (const entry of readdirSync(target)) normaliseModes(path.join(target, entry));
  } else chmodSync(target, stat.mode & 0o111 ? 0o755 : 0o644);
}

function copyRuntime(nodeModules: string, target: string, arch: string): void {
  for (const pkg of RUNTIME_PACKAGES) {
    const source = path.join(nodeModules, pkg.name);
    if (!existsSync(path.join(source, 'package.json'))) {
      throw new BuildInputError(`The image needs ${pkg.name}, but ${source} is missing. Run \`make setup\` (npm ci) first.`);
    }
    const parts = pkg.include?.(arch) ?? ['.'];
    for (const part of parts) {
      const from = path.join(source, part);
      if (!existsSync(from)) throw new BuildInputError(`${from} is missing: ${pkg.name} has no files for linux/${arch}. Reinstall it (npm ci with ONNXRUNTIME_NODE_INSTALL=skip).`);
      cpSync(from, path.join(target, pkg.name, part), { recursive: true, dereference: true });
    }
  }
}

/** Builds the context directory; the caller must call `cleanup()`. */
export async function assembleApiContext(options: ApiContextOptions): Promise<BuildContext> {
  const dockerfile = options.dockerfile ?? DEFAULT_DOCKERFILE;
  if (!existsSync(dockerfile)) throw new BuildInputError(`Dockerfile ${dockerfile} does not exist.`);
  const missingModel = MODEL_FILES.filter((file) => !existsSync(path.join(options.modelDir, file)));
  if (missingModel.length) {
    throw new BuildInputError(`The model directory ${options.modelDir} lacks ${missingModel.join(', ')}; the image needs ${MODEL_FILES.join(', ')} (download the promoted version's artifacts first).`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-image-context-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(dockerfile, path.join(dir, 'Dockerfile'));
    const app = path.join(dir, 'app');
    if (options.appDir) {
      if (!existsSync(path.join(options.appDir, 'server.mjs'))) throw new BuildInputError(`The API directory ${options.appDir} has no server.mjs.`);
      cpSync(options.appDir, app, { recursive: true, dereference: true });
    } else {
      mkdirSync(app, { recursive: true });
      await bundleApi(app);
      if (!existsSync(path.join(app, 'server.mjs'))) throw new BuildInputError(`bundleApi() did not produce server.mjs in ${app}.`);
    }
    rmSync(path.join(app, 'model'), { recursive: true, force: true });
    mkdirSync(path.join(app, 'model'));
    for (const file of MODEL_FILES) cpSync(path.join(options.modelDir, file), path.join(app, 'model', file), { dereference: true });
    copyRuntime(options.nodeModules ?? path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'runtime', 'node_modules'), options.arch ?? process.arch);
    normaliseModes(dir);
    return { dir, entries: readdirSync(dir), bytes: sizeOf(dir), cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
