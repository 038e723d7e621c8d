/**
 * One cleanup stack per process: whatever a command starts — a service, a child process, a
 * temporary directory — registers how to undo it, and the stack undoes it on every way out of
 * the process: the event loop running dry, `process.exit()`, an uncaught exception or unhandled
 * rejection, SIGINT (exit 130) and SIGTERM (exit 143). Last registered is undone first, each at
 * most once, each within its time bound.
 *
 * Why a process-wide stack and not a `finally` per script: services run detached in their own
 * process groups, so the terminal's Ctrl-C never reaches them, and a signal or a fatal error
 * skips every `finally` of the interrupted code.
 *
 *   const dir = tempDir('hp-bench-');                        // removed on any exit
 *   const server = stopOnCleanup(child, { name: 'the API server' });
 *   …
 *   await server.dispose();                                  // stop it now (once)
 *   registration.release();                                  // or keep it running past this process
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { groupAlive, isAlive, procState, sendSignal, stopGroup, stopProcess } from './process.ts';

export interface Disposer {
  /** What it undoes, for messages ("the API server (pid 123)"). */
  readonly name: string;
  dispose(): void | Promise<unknown>;
  /**
   * The same, synchronously: used when the process is already exiting (`process.exit()` was
   * called, or a second signal came) and no more event-loop turns will run.
   */
  disposeSync?(): void;
  /** How long `dispose()` may take before the stack gives up on it and goes on (default 60 s). */
  readonly timeoutMs?: number;
}

export interface Registration {
  /** Undoes it now (once; later calls and exit paths do nothing) and forgets it. */
  dispose(): Promise<void>;
  /** Forgets it without undoing it: what it guards is meant to outlive this process, or was undone another way. */
  release(): void;
}

interface Entry {
  readonly disposer: Disposer;
  done: boolean;
  running?: Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
const entries: Entry[] = [];
let unwinding: Promise<void> | undefined;
let exiting = false;
/** The exit code of the signal being handled: it wins over whatever code the interrupted code exits with meanwhile. */
let signalExitCode: number | undefined;

const report = (line: string) => process.stderr.write(`cleanup: ${line}\n`);

/** Registers `disposer` on the process's cleanup stack. */
export function onCleanup(disposer: Disposer): Registration {
  const entry: Entry = { disposer, done: false };
  entries.push(entry);
  installHandlers();
  return {
    dispose: () => runEntry(entry),
    release: () => forget(entry),
  };
}

function forget(entry: Entry): void {
  entry.done = true;
  const index = entries.indexOf(entry);
  if (index >= 0) entries.splice(index, 1);
  if (entries.length === 0 && !unwinding) removeHandlers();
}

async function runEntry(entry: Entry): Promise<void> {
  if (entry.running) return entry.running;
  if (entry.done) return;
  const { disposer } = entry;
  const timeoutMs = disposer.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  entry.running = (async () => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => disposer.dispose()), timedOut]);
      if (outcome === 'timeout') report(`gave up on ${disposer.name} after ${Math.round(timeoutMs / 1000)} s`);
    } catch (error) {
      report(`${disposer.name}: ${(error as Error).message ?? String(error)}`);
    } finally {
      clearTimeout(timer);
      forget(entry);
    }
  })();
  return entry.running;
}

/** Undoes everything registered, last first. Concurrent calls share one pass. */
export function runCleanup(): Promise<void> {
  unwinding ??= (async () => {
    try {
      while (entries.length) await runEntry(entries.at(-1)!);
    } finally {
      unwinding = undefined;
      if (entries.length === 0) removeHandlers();
    }
  })();
  return unwinding;
}

/** Undoes everything still registered, synchronously (what has no synchronous form is reported). */
function runCleanupSync(): void {
  for (const entry of [...entries].reverse()) {
    if (entry.done) continue;
    entry.done = true;
    const { disposer } = entry;
    try {
      if (disposer.disposeSync) disposer.disposeSync();
      else report(`left behind: ${disposer.name} (it can only be undone asynchronously)`);
    } catch (error) {
      report(`${disposer.name}: ${(error as Error).message ?? String(error)}`);
    }
  }
  entries.length = 0;
}

/** Runs the cleanup stack, then exits with `code`. */
export async function exitAfterCleanup(code: number): Promise<never> {
  exiting = true;
  await runCleanup();
  process.exit(code);
}

// --- exit paths ---

function onSignal(signal: keyof typeof SIGNAL_EXIT_CODES): void {
  if (exiting) {
    // A second signal while cleaning up: finish synchronously and go.
    report(`${signal} again; finishing the cleanup without waiting`);
    runCleanupSync();
    process.exit(SIGNAL_EXIT_CODES[signal]);
  }
  report(`${signal}: stopping what this process started`);
  signalExitCode = SIGNAL_EXIT_CODES[signal];
  void exitAfterCleanup(signalExitCode);
}

const onSigint = () => onSignal('SIGINT');
const onSigterm = () => onSignal('SIGTERM');

function onFatal(error: unknown): void {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  if (exiting) return; // already on the way out; the exit handler finishes what is left
  void exitAfterCleanup(1);
}

/** The event loop ran dry with something still registered: undo it (this keeps the loop alive until done). */
function onBeforeExit(): void {
  if (entries.length && !unwinding) void runCleanup();
}

function onExit(): void {
  runCleanupSync();
  // e.g. a benchmark that sees its stopped child exit and fails with 1: it was interrupted.
  if (signalExitCode !== undefined) process.exitCode = signalExitCode;
}

const HANDLERS: readonly [event: string, handler: (error: unknown) => void][] = [
  ['SIGINT', onSigint],
  ['SIGTERM', onSigterm],
  ['uncaughtException', onFatal],
  ['unhandledRejection', onFatal],
  ['beforeExit', onBeforeExit],
  ['exit', onExit],
];

let installed = false;

function installHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [event, handler] of HANDLERS) process.on(event, handler);
}

/** With nothing to undo, the process behaves as if this module were not loaded. */
function removeHandlers(): void {
  if (!installed || exiting) return;
  installed = false;
  for (const [event, handler] of HANDLERS) process.off(event, handler);
}

// --- what is usually registered ---

/** Removes `dir` (recursively) on cleanup. */
export function removeOnCleanup(dir: string): Registration {
  const remove = () => rmSync(dir, { recursive: true, force: true });
  return onCleanup({ name: `the temporary directory ${dir}`, dispose: remove, disposeSync: remove });
}

/** A new temporary directory (`<tmp>/<prefix>XXXXXX`, or under `parent`) that is removed on cleanup. */
export function tempDir(prefix: string, parent = os.tmpdir()): { path: string; registration: Registration } {
  const dir = mkdtempSync(path.join(parent, prefix));
  return { path: dir, registration: removeOnCleanup(dir) };
}

export interface StopOptions {
  name: string;
  /** SIGTERM → SIGKILL grace (default 10 s). */
  graceMs?: number;
}

/**
 * Stops a child process on cleanup: its whole process group when it leads one (a detached
 * child), else the process itself; SIGTERM first, SIGKILL after the grace period.
 */
export function stopOnCleanup(child: ChildProcess | number, options: StopOptions): Registration {
  const pid = typeof child === 'number' ? child : child.pid;
  const graceMs = options.graceMs ?? 10_000;
  const name = `${options.name} (pid ${pid})`;
  if (pid === undefined) return onCleanup({ name, dispose: () => {} });
  return onCleanup({
    name,
    timeoutMs: graceMs + 10_000,
    dispose: async () => {
      if (leadsGroup(pid)) await stopGroup(pid, graceMs);
      else await stopProcess(pid, graceMs);
    },
    disposeSync: () => (leadsGroup(pid) ? stopGroupSync(pid, Math.min(graceMs, 5_000)) : stopSync(pid, false, Math.min(graceMs, 5_000))),
  });
}

/** True when `pid` leads its own process group (it was spawned detached), so the whole group is its. */
function leadsGroup(pid: number): boolean {
  return isAlive(pid) ? procState(pid)?.pgrp === pid : groupAlive(pid);
}

/** Blocks the thread for `ms` (only on the way out, when nothing else may run anyway). */
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** SIGTERM to process group `pgid`, SIGKILL after `graceMs`, blocking: for the way out, when no event-loop turn is left. */
export function stopGroupSync(pgid: number, graceMs: number): void {
  stopSync(pgid, true, graceMs);
}

function stopSync(pid: number, group: boolean, graceMs: number): void {
  const alive = () => (group ? groupAlive(pid) : isAlive(pid));
  const target = group ? -pid : pid;
  if (!alive()) return;
  sendSignal(target, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) sleepSync(50);
  if (alive()) sendSignal(target, 'SIGKILL');
}
