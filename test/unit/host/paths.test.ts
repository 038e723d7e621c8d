/** Where host state lives: the checkout, the machine cache, and the tail of a log file. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheRoot } from '../../../src/cluster/layout.ts';
import { logTail } from '../../../src/host/log-tail.ts';
import { machineCacheDir } from '../../../src/host/machine-cache.ts';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';

describe('REPO_ROOT', () => {
  it('is the checkout', () => {
    expect(existsSync(path.join(REPO_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(path.join(REPO_ROOT, 'src', 'host', 'repo-root.ts'))).toBe(true);
  });
});

describe('machineCacheDir', () => {
  it('is HP_CACHE_DIR, else under XDG_CACHE_HOME, else under ~/.cache', () => {
    expect(machineCacheDir({ HP_CACHE_DIR: '/c/hp', XDG_CACHE_HOME: '/x' })).toBe('/c/hp');
    expect(machineCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/health-predict');
    expect(machineCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'health-predict'));
  });

  it('is what the cluster caches its binaries under, unless HP_CLUSTER_CACHE says otherwise', () => {
    expect(defaultCacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/health-predict/k8s');
    expect(defaultCacheRoot({ HP_CACHE_DIR: '/c/hp' })).toBe('/c/hp/k8s');
    expect(defaultCacheRoot({ HP_CLUSTER_CACHE: '/k', HP_CACHE_DIR: '/c/hp' })).toBe('/k');
  });
});

describe('logTail', () => {
  it('returns the last lines of a file, and nothing for a missing one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-log-tail-'));
    try {
      const file = path.join(dir, 'service.log');
      writeFileSync(file, `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n')}\n`);
      expect(logTail(file, 3)).toBe('line 28\nline 29\nline 30');
      expect(logTail(file).split('\n')).toHaveLength(20);
      expect(logTail(path.join(dir, 'missing.log'))).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
