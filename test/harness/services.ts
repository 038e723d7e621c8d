/**
 * Real local services for vitest files:
 *
 *   const services = useServices(['mlflow']);          // in a test file, at top level
 *   it('…', () => { services.mlflowUri; services.env(); });
 *
 * Reuse first: when the stack in `HP_STACK_DIR` (or `<repo>/.stack`, i.e. after
 * `health-predict stack up`) already runs the wanted services healthily, they are used and
 * never stopped. Otherwise the services start in a temp state dir shared by every test file
 * of this vitest run, so MLflow's cold start (25–60 s here) is paid once per run, not once
 * per file. Files run one after another as often as side by side, so "the last file stops
 * it" would restart MLflow for every file; instead a small detached reaper
 * (test/harness/reaper.ts) waits for the vitest process to exit, then stops exactly the
 * services in that temp dir and removes it. Nothing outside the temp dir is ever stopped.
 *
 * Docker: `useServices(['docker', 'registry', 'moto'])` inside a
 * `describeWithService(DOCKER_SKIP_REASON, …)` block (test/harness/skip.ts: skipped with the
 * reason, or failed under CI=true; dockerd needs root and cgroups, the reason says which is missing). dockerd keeps images in the machine cache, or in the temp
 * dir when another dockerd (e.g. `stack up`) already uses that store.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';
import { withLock } from '../../src/host/lock.ts';
import { isAlive } from '../../src/host/process.ts';
import {
  type RegistryCredentials,
  type ServiceName,
  type StackInfo,
  defaultStateDir,
  dockerUnavailableReason,
  readRegistryCredentials,
  stackEnv,
  stackStatus,
  stackUp,
} from '../../src/stack/index.ts';

export interface Services {
  readonly info: StackInfo;
  /** MLflow tracking URI (throws when MLflow was not requested). */
  readonly mlflowUri: string;
  /** moto's S3/ECR endpoint (throws when moto was not requested). */
  readonly s3Endpoint: string;
  /** DOCKER_HOST of the stack's dockerd (throws when docker was not requested). */
  readonly dockerHost: string;
  /** The local registry: `host:port` and its credentials (throws when registry was not requested). */
  readonly registry: { address: string; url: string } & RegistryCredentials;
  /** Environment variables for child processes (MLFLOW_TRACKING_URI, AWS_*). */
  env(): Record<string, string>;
  /** True when an already-running stack (HP_STACK_DIR or <repo>/.stack) is used. */
  readonly reused: boolean;
}

/** Long enough for a cold MLflow start while other test files load the machine. */
export const SERVICES_HOOK_TIMEOUT_MS = 240_000;

const REAPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reaper.ts');

/** The vitest process all workers of one run share (forks pool: our parent; threads pool: ourselves). */
export function vitestPid(): number {
  return typeof process.send === 'function' ? process.ppid : process.pid;
}

export function sharedStateDir(): string {
  return path.join(os.tmpdir(), `hp-stack-vitest-${vitestPid()}`);
}

/** Why dockerd cannot run on this machine (tests needing it skip with this reason), or undefined. */
export const DOCKER_SKIP_REASON: string | undefined = dockerUnavailableReason(sharedStateDir());

async function healthyIn(stateDir: string, services: readonly ServiceName[]): Promise<StackInfo | undefined> {
  if (!existsSync(stateDir)) return undefined;
  try {
    const status = await stackStatus({ stateDir, services });
    if (!services.every((name) => status.services[name].healthy)) return undefined;
    return {
      stateDir,
      mlflowUri: status.services.mlflow?.url,
      s3Endpoint: status.services.moto?.url,
      dockerHost: status.services.docker?.url,
      registryUrl: status.services.registry?.url,
    };
  } catch {
    return undefined;
  }
}

/** Makes sure a reaper watches this run's shared dir (one per dir). */
function ensureReaper(stateDir: string, watched: number): void {
  const pidFile = path.join(stateDir, 'reaper.pid');
  const recorded = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
  if (Number.isInteger(recorded) && isAlive(recorded)) return;
  const log = openSync(path.join(stateDir, 'reaper.log'), 'a');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', REAPER, stateDir, String(watched)], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: path.resolve(path.dirname(REAPER), '../..'),
    });
    child.unref();
    if (child.pid) writeFileSync(pidFile, String(child.pid));
  } finally {
    closeSync(log);
  }
}

/** Registers a beforeAll hook that provides `services` to the file's tests. */
export function useServices(services: readonly ServiceName[] = ['mlflow', 'moto']): Services {
  let info: StackInfo | undefined;
  let reused = false;

  beforeAll(async () => {
    const existing = await healthyIn(defaultStateDir(), services);
    if (existing) {
      info = existing;
      reused = true;
      return;
    }
    const stateDir = sharedStateDir();
    await withLock(stateDir, 'harness', async () => {
      mkdirSync(stateDir, { recursive: true });
      ensureReaper(stateDir, vitestPid());
    });
    info = await stackUp({ stateDir, services, ports: { mlflow: 0, moto: 0, registry: 0 } });
  }, SERVICES_HOOK_TIMEOUT_MS);

  const current = (): StackInfo => {
    if (!info) throw new Error('useServices(): the services are not up yet — use them inside tests or hooks, not at module level.');
    return info;
  };
  return {
    get info() {
      return current();
    },
    get mlflowUri() {
      const uri = current().mlflowUri;
      if (!uri) throw new Error("MLflow is not part of this file's services; call useServices(['mlflow', …]).");
      return uri;
    },
    get s3Endpoint() {
      const endpoint = current().s3Endpoint;
      if (!endpoint) throw new Error("moto is not part of this file's services; call useServices(['moto', …]).");
      return endpoint;
    },
    get dockerHost() {
      const host = current().dockerHost;
      if (!host) throw new Error("dockerd is not part of this file's services; call useServices(['docker', …]).");
      return host;
    },
    get registry() {
      const { registryUrl, stateDir } = current();
      const credentials = readRegistryCredentials(stateDir);
      if (!registryUrl || !credentials) throw new Error("the registry is not part of this file's services; call useServices(['registry', …]).");
      return { address: new URL(registryUrl).host, url: registryUrl, ...credentials };
    },
    get reused() {
      return reused;
    },
    env: () => stackEnv(current()),
  };
}
