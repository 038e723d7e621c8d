/**
 * A process for test/unit/host/cleanup.test.ts: registers a temporary directory, a detached
 * child (own process group, with a grandchild), a plain child and an order-recording disposer
 * on the cleanup stack, prints what it made as one JSON line, then leaves the way `mode` says.
 *
 *   tsx test/unit/host/cleanup-driver.ts <normal|throw|reject|exit|wait|fail-when-child-exits|hang|release> <order file>
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup, stopOnCleanup, tempDir } from '../../../src/host/cleanup.ts';

const [mode, orderFile] = process.argv.slice(2);
if (!mode || !orderFile) throw new Error('usage: cleanup-driver.ts <mode> <order file>');

const record = (name: string) => onCleanup({ name, dispose: () => appendFileSync(orderFile, `${name}\n`), disposeSync: () => appendFileSync(orderFile, `${name}\n`) });

record('first');
const dir = tempDir('hp-cleanup-test-');
// A detached shell with a child of its own: stopping must reach the whole group.
const detached = spawn('sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore' });
detached.unref();
stopOnCleanup(detached, { name: 'the detached shell', graceMs: 2_000 });
const plain = spawn('sleep', ['300'], { stdio: 'ignore' });
plain.unref();
stopOnCleanup(plain, { name: 'the plain child', graceMs: 2_000 });
if (mode === 'hang') onCleanup({ name: 'a disposer that never finishes', dispose: () => new Promise(() => {}), timeoutMs: 500 });
const last = record('last');
if (mode === 'release') {
  dir.registration.release();
  last.release();
}

process.stdout.write(`${JSON.stringify({ dir: dir.path, detached: detached.pid, plain: plain.pid })}\n`);

// Let the test see the detached shell's own child before anything ends.
await sleep(300);
if (mode === 'throw') setTimeout(() => {
  throw new Error('boom during set-up');
}, 10);
if (mode === 'reject') void Promise.reject(new Error('rejected during set-up'));
if (mode === 'exit') process.exit(3);
if (mode === 'wait') setInterval(() => {}, 1_000);
// Like a benchmark that fails when its child exits: an interrupt stops the child first.
if (mode === 'fail-when-child-exits') {
  plain.once('exit', () => process.exit(1));
  setInterval(() => {}, 1_000);
}
