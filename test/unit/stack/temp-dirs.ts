/** Temporary directories for a stack test file, stopped and removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { stackDown } from '../../../src/stack/index.ts';

/**
 * Registers an `afterEach` that stops whatever a test (a failed one, say) left running in each
 * directory, last made first, and removes it; returns the function that makes one.
 */
export function stackTempDirs(): (prefix: string) => string {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0).reverse()) {
      try {
        await stackDown({ stateDir: dir });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
  return (prefix) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
