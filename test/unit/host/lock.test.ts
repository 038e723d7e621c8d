/** The cross-process lock: one holder at a time, a dead holder's lock is taken over, a live one times out. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { HostError } from '../../../src/host/errors.ts';
import { withLock } from '../../../src/host/lock.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('withLock', () => {
  it('runs holders one at a time and removes the lock afterwards', async () => {
    const dir = tempDir();
    const events: string[] = [];
    const hold = (name: string) =>
      withLock(dir, 'state', async () => {
        events.push(`${name} in`);
        await sleep(150);
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(path.join(dir, 'state.lock'))).toBe(false);
  });

  it('takes over a lock whose holder has exited', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.once('exit', resolve));
    mkdirSync(path.join(dir, 'state.lock'));
    writeFileSync(path.join(dir, 'state.lock', 'owner'), String(child.pid));
    await expect(withLock(dir, 'state', async () => 'got it', 2_000)).resolves.toBe('got it');
  });

  it('times out with a HostError naming the holder while it lives', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'state.lock'));
    writeFileSync(path.join(dir, 'state.lock', 'owner'), String(process.pid));
    const error = await withLock(dir, 'state', async () => 'never', 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as Error).message).toMatch(new RegExp(`held by pid ${process.pid}`));
  });
});
