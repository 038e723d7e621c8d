/** The one esbuild configuration: an ESM file for Node with native packages left external and a require() for CommonJS. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForNode } from '../../../src/host/node-bundle.ts';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';

// Inside the checkout, so the external esbuild resolves from its node_modules as a task bundle's does.
mkdirSync(path.join(REPO_ROOT, 'dist'), { recursive: true });
const outDir = mkdtempSync(path.join(REPO_ROOT, 'dist', 'node-bundle-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('bundleForNode', () => {
  it('inlines plain packages, keeps native ones external, and runs under plain node', async () => {
    const contents = [
      "import { z } from 'zod';",
      "import { version } from 'esbuild';",
      "import { createRequire } from 'node:module';",
      "console.log(JSON.stringify({ parsed: z.number().parse(7), esbuild: typeof version, hasRequire: typeof require }));",
    ].join('\n');
    const bundle = await bundleForNode({ stdin: { contents, resolveDir: REPO_ROOT, sourcefile: 'probe.ts', loader: 'ts' } }, path.join(outDir, 'probe.mjs'));
    expect(bundle.bytes).toBeGreaterThan(0);
    expect(bundle.inputs.some((input) => input.includes('node_modules/zod/'))).toBe(true);
    expect(bundle.inputs.some((input) => input.includes('node_modules/esbuild/'))).toBe(false);
    const text = readFileSync(bundle.file, 'utf8');
    expect(text).toMatch(/from "esbuild"/);
    const { stdout } = await promisify(execFile)(process.execPath, [bundle.file]);
    expect(JSON.parse(stdout)).toEqual({ parsed: 7, esbuild: 'string', hasRequire: 'function' });
  });
});
