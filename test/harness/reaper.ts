/**
 * Stops a test stack once the vitest run that started it has ended.
 *   node --import tsx test/harness/reaper.ts <stateDir> <vitestPid>
 * Started (detached) by useServices() the first time a run needs services; polls the vitest
 * process, then stops everything recorded in <stateDir> and removes the directory.
 */
import { rmSync } from 'node:fs';
import { withLock } from '../../src/host/lock.ts';
import { isAlive } from '../../src/host/process.ts';
import { stackDown } from '../../src/stack/stack.ts';

const [stateDir, pidText] = process.argv.slice(2);
const watched = Number(pidText);
if (!stateDir || !Number.isInteger(watched)) {
  console.error('usage: reaper.ts <stateDir> <pid>');
  process.exit(2);
}
while (isAlive(watched)) await new Promise((resolve) => setTimeout(resolve, 1_000));
await withLock(stateDir, 'harness', async () => {
  const stopped = await stackDown({ stateDir });
  console.log(`vitest (pid ${watched}) ended; stopped ${stopped.join(', ') || 'nothing'}`);
});
rmSync(stateDir, { recursive: true, force: true });
