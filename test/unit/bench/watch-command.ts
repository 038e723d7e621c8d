/**
 * Runs a command the way a user would and watches everything it starts: every process that
 * descends from it (detached daemons included: they keep the command as parent until it exits)
 * and every process whose command line names `markers`. `interruptWhen` sends SIGINT to the
 * command as soon as a watched process matches, i.e. right after it started something.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface Seen {
  pid: number;
  /** Start time in clock ticks since boot: with the pid, it names one process (pids are reused). */
  start: string;
  command: string;
}

export interface Watched {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Every process seen descending from the command or naming a marker while it ran. */
  seen: Seen[];
  /** True when the interrupt was sent. */
  interrupted: boolean;
}

export interface WatchOptions {
  env?: NodeJS.ProcessEnv;
  /** Substrings of command lines to watch besides the command's descendants. */
  markers?: readonly string[];
  /** Send SIGINT to the command once a watched process matches. */
  interruptWhen?: (process: Seen) => boolean;
  timeoutMs?: number;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  start: string;
}

function stat(pid: number): (ProcInfo & { state: string }) | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0]!, ppid: Number(fields[1]), start: fields[19]! };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function processes(): ProcInfo[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => stat(Number(entry)) ?? []);
}

/** True while `seen` (that very process, not a reuse of its pid) is alive and not a zombie. */
export function stillAlive(seen: Seen): boolean {
  const now = stat(seen.pid);
  return now !== undefined && now.start === seen.start && now.state !== 'Z' && now.state !== 'X';
}

export async function watchCommand(command: string, args: readonly string[], options: WatchOptions = {}): Promise<Watched> {
  const child = spawn(command, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
  let done = false;
  void exited.then(() => (done = true));
  const seen = new Map<string, Seen>();
  let interrupted = false;
  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  while (!done) {
    const all = processes();
    const family = new Set([child.pid!]);
    // Parents come before children often enough that a few passes settle the tree.
    for (let pass = 0; pass < 4; pass++) for (const p of all) if (family.has(p.ppid)) family.add(p.pid);
    for (const p of all) {
      if (p.pid === child.pid) continue;
      const command = commandOf(p.pid);
      if (!family.has(p.pid) && !options.markers?.some((marker) => command.includes(marker))) continue;
      // Keep the last command line it had: a process on its way out (a zombie) has none.
      const key = `${p.pid}/${p.start}`;
      const entry = { pid: p.pid, start: p.start, command: command || seen.get(key)?.command || '' };
      seen.set(key, entry);
      if (!interrupted && options.interruptWhen?.(entry)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(100);
  }
  const [code, signal] = await exited;
  return { code, signal, stdout, stderr, seen: [...seen.values()], interrupted };
}

/** The watched processes still alive, after giving them `graceMs` to finish exiting. */
export async function survivors(watched: Watched, graceMs = 3_000): Promise<Seen[]> {
  const deadline = Date.now() + graceMs;
  let alive = watched.seen.filter(stillAlive);
  while (alive.length && Date.now() < deadline) {
    await sleep(200);
    alive = alive.filter(stillAlive);
  }
  return alive;
}
