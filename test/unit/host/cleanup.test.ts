/**
 * The cleanup stack (src/host/cleanup.ts) on every way out of a real process: the driver
 * registers a temp dir, a detached process group, a plain child and order markers, then ends
 * normally, throws, rejects, calls process.exit() or is interrupted; nothing may survive.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { groupAlive, isAlive } from '../../../src/host/process.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const DRIVER = path.join(import.meta.dirname, 'cleanup-driver.ts');
const work = mkdtempSync(path.join(os.tmpdir(), 'hp-cleanup-suite-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Made {
  dir: string;
  detached: number;
  plain: number;
}

interface Outcome {
  made: Made;
  code: number | null;
  signal: NodeJS.Signals | null;
  order: string[];
  stderr: string;
  ms: number;
  /** Pids in the detached group while it ran (the shell and its sleep). */
  group: number[];
}

function groupMembers(pgid: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
    } catch {
      return false;
    }
  });
}

async function drive(mode: string, interrupt?: NodeJS.Signals): Promise<Outcome> {
  const orderFile = path.join(work, `${mode}-${interrupt ?? 'none'}.order`);
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', DRIVER, mode, orderFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
  const made = await new Promise<Made>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as Made));
    void exited.then(() => reject(new Error(`the driver exited before reporting: ${stderr}`)));
  });
  let group: number[] = [];
  const deadline = Date.now() + 5_000;
  while (group.length < 2 && Date.now() < deadline && child.exitCode === null) {
    group = groupMembers(made.detached);
    await sleep(20);
  }
  if (interrupt) child.kill(interrupt);
  const [code, signal] = await exited;
  const order = existsSync(orderFile) ? readFileSync(orderFile, 'utf8').split('\n').filter(Boolean) : [];
  return { made, code, signal, order, stderr, ms: Date.now() - started, group };
}

function expectNothingLeft(outcome: Outcome): void {
  expect(outcome.group.length, 'the detached shell and its sleep were seen running').toBe(2);
  expect(existsSync(outcome.made.dir), `${outcome.made.dir} removed`).toBe(false);
  expect(groupAlive(outcome.made.detached), 'the detached process group is gone').toBe(false);
  expect(outcome.group.filter(isAlive), 'no member of the detached group is alive').toEqual([]);
  expect(isAlive(outcome.made.plain), 'the plain child is gone').toBe(false);
  expect(outcome.order, 'last registered, first undone; each once').toEqual(['last', 'first']);
}

describe('the cleanup stack', { timeout: 30_000 }, () => {
  it.each([
    ['normal', 0],
    ['throw', 1],
    ['reject', 1],
    ['exit', 3],
  ] as const)('undoes everything when the process ends by %s (exit %i)', async (mode, code) => {
    const outcome = await drive(mode);
    expect(outcome.code, outcome.stderr).toBe(code);
    expectNothingLeft(outcome);
    if (mode !== 'normal' && mode !== 'exit') expect(outcome.stderr).toMatch(mode === 'throw' ? /boom during set-up/ : /rejected during set-up/);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('undoes everything on %s and exits %i', async (signal, code) => {
    const outcome = await drive('wait', signal);
    expect(outcome.code, outcome.stderr).toBe(code);
    expect(outcome.signal).toBeNull();
    expectNothingLeft(outcome);
  });

  it('exits with the signal\'s code even when the interrupted code exits on its own meanwhile', async () => {
    const outcome = await drive('fail-when-child-exits', 'SIGINT');
    expect(outcome.code, outcome.stderr).toBe(130);
    expectNothingLeft(outcome);
  });

  it('bounds the time of a disposer that never finishes and goes on with the rest', async () => {
    const outcome = await drive('hang');
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.stderr).toMatch(/gave up on a disposer that never finishes/);
    expectNothingLeft(outcome);
    expect(outcome.ms).toBeLessThan(20_000);
  });

  it('leaves alone what was released', async () => {
    const outcome = await drive('release');
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(existsSync(outcome.made.dir), 'a released directory stays').toBe(true);
    expect(outcome.order).toEqual(['first']);
    rmSync(outcome.made.dir, { recursive: true, force: true });
  });
});
