/**
 * `stackUp` / `stackDown` / `stackStatus`: the local services the pipeline and the tests use,
 * tracked in `<stateDir>/stack.json`. Up is idempotent (healthy services are reused, only
 * missing ones start) and all-or-nothing per call (a failed start stops what this call started).
 */
import { existsSync, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ServiceStartError, StackError } from './errors.ts';
import { logTail, probe, waitUntilHealthy } from './health.ts';
import { withLock } from './lock.ts';
import { choosePort, freePort } from './ports.ts';
import { isOurProcess, spawnDetached, stopGroup } from './process.ts';
import { SERVICES, type ServiceSpec } from './services.ts';
import { REPO_ROOT, SERVICE_NAMES, type ServiceName, type ServiceRecord, type StackState, defaultStateDir, readState, writeState } from './state.ts';

export interface StackOptions {
  /** Default: `HP_STACK_DIR`, else `<repo>/.stack`. */
  stateDir?: string;
  /** Which services to act on (default: all). */
  services?: readonly ServiceName[];
  /** Preferred ports; 0 means any free port. Default: the port recorded last time, else 5000 (MLflow) / 5001 (moto). A taken port falls back to a free one. */
  ports?: Partial<Record<ServiceName, number>>;
  /** The Python environment with mlflow and moto (default `<repo>/.venv/ml`). */
  venv?: string;
  /** Start timeout per service (default: 180 s MLflow, 30 s moto). */
  timeoutMs?: number;
  /** Extra Host headers MLflow accepts (e.g. `mlflow:5000` behind a proxy). */
  allowedHosts?: readonly string[];
  /** Base environment of the service processes (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Progress events, e.g. for a CLI to print. */
  onEvent?: (event: StackEvent) => void;
}

export type StackEvent =
  | { type: 'reuse' | 'ready' | 'stopped'; service: ServiceName; url: string; pid: number }
  | { type: 'starting'; service: ServiceName; url: string; pid: number; log: string }
  | { type: 'replacing'; service: ServiceName; pid: number; reason: string };

export interface StackInfo {
  /** MLflow tracking URI, when MLflow is running. */
  mlflowUri?: string;
  /** moto's endpoint for the S3 (and ECR) API, when moto is running. */
  s3Endpoint?: string;
  stateDir: string;
}

export interface ServiceStatus {
  running: boolean;
  healthy: boolean;
  pid?: number;
  url?: string;
  log: string;
}

export interface StackStatus {
  stateDir: string;
  services: Record<ServiceName, ServiceStatus>;
}

interface Resolved {
  stateDir: string;
  services: readonly ServiceName[];
  venv: string;
  options: StackOptions;
}

function resolve(options: StackOptions): Resolved {
  const services = options.services ?? SERVICE_NAMES;
  for (const name of services) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) throw new StackError(`Unknown service '${name}'. Known services: ${SERVICE_NAMES.join(', ')}.`);
  }
  return {
    stateDir: path.resolve(options.stateDir ?? defaultStateDir()),
    services,
    venv: path.resolve(options.venv ?? path.join(REPO_ROOT, '.venv', 'ml')),
    options,
  };
}

export const logFile = (stateDir: string, service: ServiceName) => path.join(stateDir, 'logs', `${service}.log`);
const healthUrl = (spec: ServiceSpec, url: string) => `${url}${spec.healthPath}`;

/** Polls a recorded service's health for up to `ms` (a busy machine can be slow to answer). */
async function answers(spec: ServiceSpec, url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if (await probe(healthUrl(spec, url), spec.healthy, 3_000)) return true;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < deadline);
  return false;
}

export function infoFrom(stateDir: string, state: StackState): StackInfo {
  return { mlflowUri: state.services.mlflow?.url, s3Endpoint: state.services.moto?.url, stateDir };
}

/** Starts what is missing of `options.services`, reuses what is running and healthy, and returns the URLs. */
export async function stackUp(options: StackOptions = {}): Promise<StackInfo> {
  const r = resolve(options);
  return withLock(r.stateDir, 'stack', async () => {
    const state = readState(r.stateDir);
    const missing: ServiceSpec[] = [];
    for (const name of r.services) {
      const spec = SERVICES[name];
      const record = state.services[name];
      if (record && isOurProcess(record.pid, spec.marker)) {
        if (await answers(spec, record.url, 10_000)) {
          options.onEvent?.({ type: 'reuse', service: name, url: record.url, pid: record.pid });
          continue;
        }
        options.onEvent?.({ type: 'replacing', service: name, pid: record.pid, reason: `not healthy on ${record.url}` });
        await stopGroup(record.pid);
      }
      missing.push(spec);
    }
    const save = (name: ServiceName, record: ServiceRecord | undefined) => {
      if (record) state.services[name] = record;
      else delete state.services[name];
      writeState(r.stateDir, state);
    };
    const results = await Promise.allSettled(missing.map((spec) => startService(spec, r, state.services[spec.name]?.port, (record) => save(spec.name, record))));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length) {
      for (const [i, result] of results.entries()) {
        const spec = missing[i]!;
        if (result.status === 'fulfilled') {
          await stopGroup(result.value.pid);
          save(spec.name, undefined);
        }
      }
      if (failures.length === 1) throw failures[0];
      throw new StackError(failures.map((f) => (f as Error).message).join('\n\n'), { cause: failures[0] });
    }
    return infoFrom(r.stateDir, state);
  });
}

const ADDRESS_IN_USE = /address already in use|Errno 98|port \d+ is in use/i;

/** Starts one service and waits for it; on a port race (someone took the port in between) tries once more on a free port. */
async function startService(spec: ServiceSpec, r: Resolved, recordedPort: number | undefined, record: (rec: ServiceRecord | undefined) => void): Promise<ServiceRecord> {
  const log = logFile(r.stateDir, spec.name);
  const preferred = r.options.ports?.[spec.name] ?? recordedPort ?? spec.defaultPort;
  for (let attempt = 1; ; attempt++) {
    const port = attempt === 1 ? await choosePort(preferred) : await freePort();
    const launch = spec.launch({ venv: r.venv, stateDir: r.stateDir, port, allowedHosts: r.options.allowedHosts ?? [], env: r.options.env ?? process.env });
    if (!existsSync(launch.command)) {
      throw new ServiceStartError(spec.name, log, `Cannot start the ${spec.title}: ${launch.command} does not exist. Run \`make setup\` to create the Python environment (${r.venv}).`);
    }
    mkdirSync(path.dirname(log), { recursive: true });
    const marker = `--- health-predict stack: starting ${spec.name} on port ${port} at ${new Date().toISOString()} ---`;
    appendFileSync(log, `${marker}\n$ ${[launch.command, ...launch.args].join(' ')}\n`);
    const child = spawnDetached(launch.command, launch.args, { logFile: log, env: launch.env, cwd: r.stateDir });
    const url = `http://127.0.0.1:${port}`;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    if (child.pid === undefined) {
      const error = await spawnError;
      throw new ServiceStartError(spec.name, log, `Cannot start the ${spec.title} (${launch.command}): ${error.message}.`, { cause: error });
    }
    const rec: ServiceRecord = { pid: child.pid, port, url, log, startedAt: new Date().toISOString() };
    record(rec);
    r.options.onEvent?.({ type: 'starting', service: spec.name, url, pid: child.pid, log });
    try {
      await waitUntilHealthy({ service: spec.name, title: spec.title, url: healthUrl(spec, url), check: spec.healthy, child, log, timeoutMs: r.options.timeoutMs ?? spec.startTimeoutMs });
      r.options.onEvent?.({ type: 'ready', service: spec.name, url, pid: child.pid });
      return rec;
    } catch (error) {
      await stopGroup(child.pid, 5_000);
      record(undefined);
      const since = logTail(log, 200).split(marker).pop() ?? '';
      if (attempt === 1 && ADDRESS_IN_USE.test(since)) continue;
      throw error;
    }
  }
}

/** Stops `options.services` (default all) that this state dir records, and forgets them. Returns what was stopped. */
export async function stackDown(options: StackOptions = {}): Promise<ServiceName[]> {
  const r = resolve(options);
  if (!existsSync(r.stateDir)) return [];
  return withLock(r.stateDir, 'stack', async () => {
    const state = readState(r.stateDir);
    const stopped: ServiceName[] = [];
    for (const name of r.services) {
      const record = state.services[name];
      if (!record) continue;
      if (isOurProcess(record.pid, SERVICES[name].marker)) {
        await stopGroup(record.pid);
        stopped.push(name);
        options.onEvent?.({ type: 'stopped', service: name, url: record.url, pid: record.pid });
      }
      delete state.services[name];
      writeState(r.stateDir, state);
    }
    return stopped;
  });
}

/** What runs, per service: process alive (and really ours), health endpoint answering, pid, URL, log file. */
export async function stackStatus(options: StackOptions = {}): Promise<StackStatus> {
  const r = resolve(options);
  const state = existsSync(r.stateDir) ? readState(r.stateDir) : { version: 1 as const, services: {} };
  const entries = await Promise.all(
    r.services.map(async (name): Promise<[ServiceName, ServiceStatus]> => {
      const spec = SERVICES[name];
      const record = state.services[name];
      const log = record?.log ?? logFile(r.stateDir, name);
      if (!record) return [name, { running: false, healthy: false, log }];
      const running = isOurProcess(record.pid, spec.marker);
      const healthy = running && (await probe(healthUrl(spec, record.url), spec.healthy, 3_000));
      return [name, { running, healthy, pid: record.pid, url: record.url, log }];
    }),
  );
  return { stateDir: r.stateDir, services: Object.fromEntries(entries) as Record<ServiceName, ServiceStatus> };
}
