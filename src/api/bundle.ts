/**
 * The prediction service as one file for the image: `<outDir>/server.mjs`, run with
 * `node server.mjs`. onnxruntime-node (native) stays external and must be installed next to
 * it (`npm install --omit=dev onnxruntime-node@<the lockfile's version>` in the image, or a
 * copy of node_modules/onnxruntime-node).
 */
import path from 'node:path';
import { type NodeBundle, bundleForNode } from '../host/node-bundle.ts';
import { REPO_ROOT } from '../host/repo-root.ts';

/** From the checkout, so a bundled caller (the build-api-image task) finds it too. */
const SERVER = path.join(REPO_ROOT, 'src/api/server.ts');

export type ApiBundle = NodeBundle;

export async function bundleApi(outDir: string): Promise<ApiBundle> {
  return bundleForNode({ file: SERVER }, path.join(outDir, 'server.mjs'));
}
