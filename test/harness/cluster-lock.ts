/**
 * One test file at a time on the machine's cluster: the cluster tests stop and restart it, which
 * would break a deploy test running in another vitest worker. Hold the lock from beforeAll to
 * afterAll (a directory lock, freed when its holder process dies).
 */
import os from 'node:os';
import { withLock } from '../../src/host/lock.ts';

export interface HeldLock {
  release(): void;
}

export async function holdClusterTestLock(timeoutMs = 1_800_000): Promise<HeldLock> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let acquired!: () => void;
  const ready = new Promise<void>((resolve) => (acquired = resolve));
  const held = withLock(os.tmpdir(), 'health-predict-cluster-tests', async () => {
    acquired();
    await released;
  }, timeoutMs);
  await Promise.race([ready, held]);
  return { release };
}
