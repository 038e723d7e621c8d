/**
 * The skip rule and the skip summary, in a real vitest run of fixtures/lanes.probe.ts: a lane
 * without its service is skipped with the reason and listed at the end, or under CI=true fails;
 * every other skip is listed with its note, or flagged as giving none.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');

function runProbe(env: Record<string, string | undefined>, ...args: string[]) {
  const { CI: _ci, ...inherited } = process.env;
  const run = spawnSync(process.execPath, [VITEST, 'run', '--config', 'test/unit/harness/fixtures/vitest.probe.config.ts', ...args], {
    cwd: ROOT,
    env: { ...inherited, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('describeWithService and the skip summary', () => {
  it('skips a lane without its service and lists every skip with its reason at the end', () => {
    const { code, out } = runProbe({});
    expect(code, out).toBe(0);
    const summary = out.slice(out.indexOf('Skipped (3), each with its reason:'));
    expect(summary.split('\n').slice(1, 4)).toEqual([
      '  - test/unit/harness/fixtures/lanes.probe.ts › a docker lane — skipped: no dockerd on this machine (2 tests)',
      '  - test/unit/harness/fixtures/lanes.probe.ts › file-dependent tests > skips itself with a reason — skipped: the real UCI file is absent',
      '  - test/unit/harness/fixtures/lanes.probe.ts › file-dependent tests > skips without one — skipped: no reason given (skip with describeWithService or ctx.skip(reason))',
    ]);
  }, 150_000);

  it('fails the lane instead under CI=true, naming what is missing', () => {
    const { code, out } = runProbe({ CI: 'true' });
    expect(code, out).toBe(1);
    expect(out).toContain('a docker lane > has its real service');
    expect(out).toContain('CI=true and this lane cannot run its real service: no dockerd on this machine');
  }, 150_000);

  it('lists only the skips a -t pattern chose', () => {
    const { code, out } = runProbe({}, '-t', 'docker lane');
    expect(code, out).toBe(0);
    expect(out).toContain('Skipped (1), each with its reason:');
    expect(out).not.toContain('file-dependent tests >');
  }, 150_000);
});
