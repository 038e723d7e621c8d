/**
 * A cross-process lock on a state directory: `mkdir <dir>/<name>.lock` is atomic, the holder
 * writes its pid inside, and a lock whose holder died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostError } from './errors.ts';
import { isAlive } from './process.ts';

function holder(lockDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(lockDir, 'owner'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` while holding `<dir>/<name>.lock`; waits up to `timeoutMs` for another holder. */
export async function withLock<T>(dir: string, name: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lockDir = path.join(dir, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let orphanSince: number | undefined;
  for (;;) {
    mkdirSync(dir, { recursive: true });
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = holder(lockDir);
    if (owner !== undefined && !isAlive(owner)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (owner === undefined) {
      // Just created and not yet written — or left behind by a holder killed in between.
      orphanSince ??= Date.now();
      if (Date.now() - orphanSince > 5_000) {
        rmSync(lockDir, { recursive: true, force: true });
        orphanSince = undefined;
        continue;
      }
    } else orphanSince = undefined;
    if (Date.now() > deadline) {
      throw new HostError(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${lockDir} (held by pid ${owner ?? 'unknown'}). If no stack command is running, delete that directory.`);
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
