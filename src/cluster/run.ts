/** Runs a short-lived command (openssl, ctr, ip, crictl) and collects its output. */
import { spawn } from 'node:child_process';
import { stopOnCleanup } from '../host/cleanup.ts';
import { ClusterError } from './errors.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs `command args`; resolves with its exit code and output whatever the code (a missing command rejects). */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 120_000 });
    // An interrupted `cluster up` must not leave a probe (`ctr version`, `crictl`) running behind it.
    const running = stopOnCleanup(child, { name: `${command} ${args.join(' ')}`.slice(0, 120), graceMs: 1_000 });
    child.once('close', () => running.release());
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error) => reject(new ClusterError(`Cannot run ${command}: ${error.message}. Is it installed and on PATH?`, { cause: error })));
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(options.input);
  });
}

/** Runs `command args` and returns stdout; a non-zero exit throws a ClusterError with `what` and stderr. */
export async function mustRun(what: string, command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const detail = (result.stderr.trim() || result.stdout.trim() || 'no output').split('\n').slice(-15).join('\n');
    throw new ClusterError(`${what} failed: \`${[command, ...args].join(' ')}\` exited with ${result.code ?? 'a signal/timeout'}:\n${detail}`);
  }
  return result.stdout;
}
