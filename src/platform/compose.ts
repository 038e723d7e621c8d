/**
 * Running Docker Compose on the platform's files: which files and env files, the project name, and
 * the process environment (DOCKER_HOST and the machine-specific paths the compose file mounts).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';
import { PlatformError } from './errors.ts';

export const COMPOSE_FILE = 'docker-compose.airflow.yml';
/** Host networking and images built from Debian packages, for a dockerd without bridge networks. */
export const LOCAL_OVERRIDE_FILE = 'docker-compose.local.yml';
export const LOCAL_ENV_FILE = 'docker-compose.local.env';
export const DEFAULT_PROJECT = 'health-predict';

export interface ComposeTarget {
  binary: string;
  /** Directory holding the compose files (the repository root). */
  dir: string;
  project: string;
  /** The generated secrets file (`.env`). */
  envFile: string;
  /** Add the local override and its env file. */
  local: boolean;
  /** Extra compose files after the others (e.g. a test's override). */
  extraFiles?: readonly string[];
  /** DOCKER_HOST, HP_DOCKER_SOCKET, … — the process environment compose interpolates from first. */
  env: NodeJS.ProcessEnv;
}

export function composeArgs(target: ComposeTarget, args: readonly string[]): string[] {
  const files = [COMPOSE_FILE, ...(target.local ? [LOCAL_OVERRIDE_FILE] : []), ...(target.extraFiles ?? [])];
  const envFiles = [target.envFile, ...(target.local ? [path.join(target.dir, LOCAL_ENV_FILE)] : [])];
  return [
    '--project-name', target.project,
    '--project-directory', target.dir,
    ...files.flatMap((file) => ['--file', path.resolve(target.dir, file)]),
    ...envFiles.flatMap((file) => ['--env-file', file]),
    ...args,
  ];
}

export interface ComposeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs compose; output is collected, and also passed on line by line when `onLine` is given. */
export function runCompose(target: ComposeTarget, args: readonly string[], onLine?: (line: string) => void): Promise<ComposeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(target.binary, composeArgs(target, args), { cwd: target.dir, env: target.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let pending = '';
    const pass = (chunk: Buffer) => {
      if (!onLine) return;
      pending += chunk.toString('utf8');
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    };
    child.stdout.on('data', (chunk: Buffer) => (out.push(chunk), pass(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err.push(chunk), pass(chunk)));
    child.once('error', (error) => reject(new PlatformError(`Could not run Docker Compose (${target.binary}): ${error.message}.`, { cause: error })));
    child.once('close', (code) => {
      if (onLine && pending.trim()) onLine(pending);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Runs compose and fails with its own message when it exits non-zero. */
export async function compose(target: ComposeTarget, args: readonly string[], onLine?: (line: string) => void): Promise<ComposeRun> {
  const run = await runCompose(target, args, onLine);
  if (run.code !== 0) {
    const said = (run.stderr.trim() || run.stdout.trim()).split('\n').slice(-15).join('\n');
    throw new PlatformError(`docker compose ${args.join(' ')} failed (exit ${run.code}):\n${said}`);
  }
  return run;
}

/** One container of `compose ps --all --format json`. */
export const containerSchema = z.object({
  Service: z.string(),
  Name: z.string(),
  State: z.string(),
  Health: z.string().default(''),
  ExitCode: z.number().default(0),
});
export type ComposeContainer = z.infer<typeof containerSchema>;

/** The project's containers (one JSON object per line in Compose v2+). */
export async function listContainers(target: ComposeTarget): Promise<ComposeContainer[]> {
  const { stdout } = await compose(target, ['ps', '--all', '--format', 'json']);
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      const parsed: unknown = JSON.parse(line);
      return (Array.isArray(parsed) ? parsed : [parsed]).map((item) => containerSchema.parse(item));
    });
}
