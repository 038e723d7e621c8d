/**
 * Stops a test stack once the vitest run that started it has ended.
 *   node --import tsx test/harness/reaper.ts <stateDir> <vitestPid>
 * Started (detached) by useServices() the first time a run needs services; polls the vitest
 * process, then stops everything recorded in <stateDir> and removes the directory — or does so
 * at once when it is itself interrupted or terminated (the cleanup stack), so stopping the
 * reaper never strands the stack.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup, removeOnCleanup, runCleanup } from '../../src/host/cleanup.ts';
import { withLock } from '../../src/host/lock.ts';
import { isAlive } from '../../src/host/process.ts';
import { stackDown } from '../../src/stack/stack.ts';

const [stateDir, pidText] = process.argv.slice(2);
const watched = Number(pidText);
if (!stateDir || !Number.isInteger(watched)) {
  console.error('usage: reaper.ts <stateDir> <pid>');
  process.exit(2);
}
removeOnCleanup(stateDir);
const teardown = onCleanup({
  name: `the test stack in ${stateDir}`,
  dispose: () =>
    withLock(stateDir, 'harness', async () => {
      const stopped = await stackDown({ stateDir });
      console.log(`${isAlive(watched) ? 'interrupted' : `vitest (pid ${watched}) ended`}; stopped ${stopped.join(', ') || 'nothing'}`);
    }),
});
while (isAlive(watched)) await sleep(1_000);
await teardown.dispose();
await runCleanup();
