/**
 * Detached service processes: each runs in its own process group (so stopping it also stops
 * the workers it forks), with stdout and stderr appended to a log file. Liveness ignores
 * zombies, and a pid is only trusted when its command line still names the service (pids
 * are reused).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PROC = '/proc';
const hasProc = existsSync(path.join(PROC, 'self', 'stat'));

export interface SpawnOptions {
  logFile: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts `command` in a new process group, appending its output to `logFile`; the caller's event loop does not wait for it. */
export function spawnDetached(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: options.env, cwd: options.cwd });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** The process state letter from /proc (R, S, Z…), or undefined when there is no such process or no /proc. */
export function procState(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(path.join(PROC, String(pid), 'stat'), 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** True when `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (hasProc) {
    const stat = procState(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's argv joined by spaces, when /proc can tell. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(path.join(PROC, String(pid), 'cmdline'), 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and (where /proc can tell) its command line contains `marker`. */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === undefined || cmd.includes(marker);
}

/** True while any non-zombie process is in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (!hasProc) return true;
  for (const entry of readdirSync(PROC)) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procState(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/** Sends `sig` to `target` (a pid, or a negated process group); a target that is already gone is not an error. */
export function sendSignal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once no member is left. */
export async function stopGroup(pgid: number, graceMs = 10_000): Promise<'stopped' | 'killed' | 'gone'> {
  return terminate(-pgid, () => groupAlive(pgid), graceMs);
}

/** SIGTERM to one process, SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<'stopped' | 'killed' | 'gone'> {
  return terminate(pid, () => isAlive(pid), graceMs);
}

async function terminate(target: number, alive: () => boolean, graceMs: number): Promise<'stopped' | 'killed' | 'gone'> {
  if (!alive()) return 'gone';
  sendSignal(target, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive()) return 'stopped';
    await sleep(100);
  }
  sendSignal(target, 'SIGKILL');
  const hardDeadline = Date.now() + 5_000;
  while (alive() && Date.now() < hardDeadline) await sleep(100);
  return 'killed';
}

/** Where system daemons live on Debian, searched after PATH (a non-login root shell may lack /usr/sbin). */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of executable `name` on PATH or in the system directories, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Pids of live processes whose argv contains `arg` exactly (e.g. another dockerd's `--data-root=<dir>`). */
export function processesWithArg(arg: string): number[] {
  if (!hasProc) return [];
  const pids: number[] = [];
  for (const entry of readdirSync(PROC)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(path.join(PROC, entry, 'cmdline'), 'utf8').split('\0');
      if (argv.includes(arg) && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
