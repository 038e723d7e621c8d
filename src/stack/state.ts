/**
 * The state directory and its `stack.json`: which service runs under which pid, on which
 * port, logging where. Written atomically; read with zod so a hand-edited or stale file fails
 * with a message instead of a crash later.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../host/repo-root.ts';
import { StackError } from './errors.ts';

export const SERVICE_NAMES = ['mlflow', 'moto', 'docker', 'registry'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
/** What `stackUp` starts when no services are named: what every test lane and the demo need. */
export const CORE_SERVICES: readonly ServiceName[] = ['mlflow', 'moto'];
/** The image path: Docker's daemon and the registry images are pushed to. They need root. */
export const DOCKER_SERVICES: readonly ServiceName[] = ['docker', 'registry'];

export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, '.stack');
export const STATE_FILE = 'stack.json';

/** `HP_STACK_DIR` when set, else `<repo>/.stack`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HP_STACK_DIR ? path.resolve(env.HP_STACK_DIR) : DEFAULT_STATE_DIR;
}

const serviceRecord = z.object({
  pid: z.number().int().positive(),
  /** Absent for services that listen on a unix socket (dockerd). */
  port: z.number().int().min(1).max(65_535).optional(),
  url: z.string().url(),
  log: z.string().min(1),
  startedAt: z.string(),
});
export type ServiceRecord = z.infer<typeof serviceRecord>;

const stackFile = z.object({
  version: z.literal(1),
  services: z.partialRecord(z.enum(SERVICE_NAMES), serviceRecord),
});
export type StackState = z.infer<typeof stackFile>;

export const emptyState = (): StackState => ({ version: 1, services: {} });

export function stateFile(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

export function readState(stateDir: string): StackState {
  const file = stateFile(stateDir);
  if (!existsSync(file)) return emptyState();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackError(`${file} is not valid JSON (${(error as Error).message}). Stop any service it listed by hand, then delete the file.`);
  }
  const parsed = stackFile.safeParse(raw);
  if (!parsed.success) {
    throw new StackError(`${file} does not look like a stack state file: ${z.prettifyError(parsed.error)}. Stop any service it listed by hand, then delete the file.`);
  }
  return parsed.data;
}

/** Writes `stack.json` atomically; an empty state removes the file. */
export function writeState(stateDir: string, state: StackState): void {
  const file = stateFile(stateDir);
  if (Object.keys(state.services).length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(stateDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
}
