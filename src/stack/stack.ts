/**
 * `stackUp` / `stackDown` / `stackStatus`: the local services the pipeline and the tests use,
 * tracked in `<stateDir>/stack.json`. Up is idempotent (healthy services are reused, only
 * missing ones start) and all-or-nothing per call (a failed start stops what this call started).
 * It starts MLflow and moto unless told otherwise; dockerd and the registry (which need root)
 * only when named.
 */
import { existsSync, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Registration, onCleanup, stopGroupSync } from '../host/cleanup.ts';
import { logTail } from '../host/log-tail.ts';
import { withLock } from '../host/lock.ts';
import { choosePort, freePort } from '../host/ports.ts';
import { isOurProcess, spawnDetached, stopGroup } from '../host/process.ts';
import { REPO_ROOT } from '../host/repo-root.ts';
import { ServiceStartError, StackError } from './errors.ts';
import { probe, waitUntilHealthy } from './health.ts';
import { type Launch, SERVICES, type ServiceSpec } from './services.ts';
import { CORE_SERVICES, SERVICE_NAMES, type ServiceName, type ServiceRecord, type StackState, defaultStateDir, readState, writeState } from './state.ts';

export interface StackOptions {
  /** Default: `HP_STACK_DIR`, else `<repo>/.stack`. */
  stateDir?: string;
  /** Which services to act on (default: up starts CORE_SERVICES, i.e. MLflow and moto; down and status cover all). */
  services?: readonly ServiceName[];
  /** Preferred ports; 0 means any free port. Default: the port recorded last time, else 5000 (MLflow) / 5001 (moto) / 5002 (registry). A taken port falls back to a free one. */
  ports?: Partial<Record<ServiceName, number>>;
  /** The Python environment with mlflow and moto (default `<repo>/.venv/ml`). */
  venv?: string;
  /** Start timeout per service (default: 180 s MLflow, 30 s moto and registry, 60 s dockerd). */
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
  | { type: 'replacing'; service: ServiceName; pid: number; reason: string }
  | { type: 'note'; service: ServiceName; message: string };

export interface StackInfo {
  /** MLflow tracking URI, when MLflow is running. */
  mlflowUri?: string;
  /** moto's endpoint for the S3 (and ECR) API, when moto is running. */
  s3Endpoint?: string;
  /** DOCKER_HOST of the stack's dockerd (`unix://…/docker.sock`), when it is running. */
  dockerHost?: string;
  /** The local registry (`http://127.0.0.1:<port>`), when it is running; credentials in `<stateDir>/registry/credentials.json`. */
  registryUrl?: string;
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

function resolve(options: StackOptions, defaults: readonly ServiceName[] = SERVICE_NAMES): Resolved {
  const services = options.services ?? defaults;
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

/** One health check of a service recorded at `url`. */
function isHealthy(spec: ServiceSpec, url: string, stateDir: string, timeoutMs: number): Promise<boolean> {
  return spec.probe ? spec.probe({ url, stateDir, timeoutMs }) : probe(healthUrl(spec, url), spec.healthy, timeoutMs);
}

/** Polls a recorded service's health for up to `ms` (a busy machine can be slow to answer). */
async function answers(spec: ServiceSpec, url: string, stateDir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if (await isHealthy(spec, url, stateDir, 3_000)) return true;
    await sleep(250);
  } while (Date.now() < deadline);
  return false;
}

export function infoFrom(stateDir: string, state: StackState): StackInfo {
  return { mlflowUri: state.services.mlflow?.url, s3Endpoint: state.services.moto?.url, dockerHost: state.services.docker?.url, registryUrl: state.services.registry?.url, stateDir };
}

/** Starts what is missing of `options.services`, reuses what is running and healthy, and returns the URLs. */
export async function stackUp(options: StackOptions = {}): Promise<StackInfo> {
  const r = resolve(options, CORE_SERVICES);
  return withLock(r.stateDir, 'stack', async () => {
    const state = readState(r.stateDir);
    const missing: ServiceSpec[] = [];
    for (const name of r.services) {
      const spec = SERVICES[name];
      const record = state.services[name];
      if (record && isOurProcess(record.pid, spec.marker)) {
        if (await answers(spec, record.url, r.stateDir, 10_000)) {
          options.onEvent?.({ type: 'reuse', service: name, url: record.url, pid: record.pid });
          continue;
        }
        options.onEvent?.({ type: 'replacing', service: name, pid: record.pid, reason: `not healthy on ${record.url}` });
        await stopService(spec, record.pid, r, spec.stopGraceMs);
      }
      missing.push(spec);
    }
    const save = (name: ServiceName, record: ServiceRecord | undefined) => {
      if (record) state.services[name] = record;
      else delete state.services[name];
      writeState(r.stateDir, state);
    };
    refuseUnavailable(missing, r);
    const results = await Promise.allSettled(missing.map((spec) => startService(spec, r, state.services[spec.name]?.port, (record) => save(spec.name, record))));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length) {
      for (const [i, result] of results.entries()) {
        const spec = missing[i]!;
        if (result.status === 'fulfilled') await result.value.dispose();
      }
      if (failures.length === 1) throw failures[0];
      throw new StackError(failures.map((f) => (f as Error).message).join('\n\n'), { cause: failures[0] });
    }
    // Up: from now on the services outlive this process, until `stack down`.
    for (const result of results) if (result.status === 'fulfilled') result.value.release();
    return infoFrom(r.stateDir, state);
  });
}

function cleanUpAfter(spec: ServiceSpec, r: Resolved): void {
  for (const message of spec.afterStop?.(r.stateDir) ?? []) r.options.onEvent?.({ type: 'note', service: spec.name, message });
}

/** Stops the process group, then whatever the service leaves behind (e.g. dockerd's mounts). */
async function stopService(spec: ServiceSpec, pid: number, r: Resolved, graceMs?: number): Promise<void> {
  await stopGroup(pid, graceMs);
  cleanUpAfter(spec, r);
}

/** Throws before anything starts when one of `specs` cannot run on this machine (not installed, not root…). */
function refuseUnavailable(specs: readonly ServiceSpec[], r: Resolved): void {
  const context = { venv: r.venv, stateDir: r.stateDir, port: 0, allowedHosts: r.options.allowedHosts ?? [], env: r.options.env ?? process.env };
  const refusals = specs.flatMap((spec) => {
    const unavailable = spec.preflight?.(context);
    return unavailable ? [new ServiceStartError(spec.name, logFile(r.stateDir, spec.name), `Cannot start the ${spec.title}: ${unavailable}.`)] : [];
  });
  if (refusals.length === 1) throw refusals[0];
  if (refusals.length) throw new StackError(refusals.map((refusal) => refusal.message).join('\n\n'), { cause: refusals[0] });
}

/** Puts a service this call started on the cleanup stack: stopped, cleaned up after and forgotten on any way out. */
function guardStarted(spec: ServiceSpec, pid: number, r: Resolved, forget: () => void): Registration {
  const graceMs = spec.stopGraceMs ?? 10_000;
  return onCleanup({
    name: `the ${spec.title} (pid ${pid}) started by this \`stack up\``,
    timeoutMs: graceMs + 15_000,
    dispose: async () => {
      await stopService(spec, pid, r, graceMs);
      forget();
    },
    disposeSync: () => {
      stopGroupSync(pid, Math.min(graceMs, 10_000));
      cleanUpAfter(spec, r);
      forget();
    },
  });
}

const ADDRESS_IN_USE = /address already in use|Errno 98|port \d+ is in use/i;

/**
 * Starts one service and waits for it; on a port race (someone took the port in between) tries
 * once more on a free port. Until the caller releases the returned registration, the service is
 * on the process's cleanup stack: an interrupted or failing `stack up` stops what it started.
 */
async function startService(spec: ServiceSpec, r: Resolved, recordedPort: number | undefined, record: (rec: ServiceRecord | undefined) => void): Promise<Registration> {
  const log = logFile(r.stateDir, spec.name);
  const preferred = r.options.ports?.[spec.name] ?? recordedPort ?? spec.defaultPort;
  for (let attempt = 1; ; attempt++) {
    const port = preferred === undefined ? undefined : attempt === 1 ? await choosePort(preferred) : await freePort();
    const context = { venv: r.venv, stateDir: r.stateDir, port: port ?? 0, allowedHosts: r.options.allowedHosts ?? [], env: r.options.env ?? process.env };
    const unavailable = spec.preflight?.(context);
    if (unavailable) throw new ServiceStartError(spec.name, log, `Cannot start the ${spec.title}: ${unavailable}.`);
    let launch: Launch;
    try {
      launch = spec.launch(context);
    } catch (error) {
      throw new ServiceStartError(spec.name, log, `Cannot prepare the ${spec.title}: ${(error as Error).message}`, { cause: error });
    }
    if (!existsSync(launch.command)) {
      throw new ServiceStartError(spec.name, log, `Cannot start the ${spec.title}: ${launch.command} does not exist. ${spec.installHint(context)}`);
    }
    mkdirSync(path.dirname(log), { recursive: true });
    const marker = `--- health-predict stack: starting ${spec.name}${port === undefined ? '' : ` on port ${port}`} at ${new Date().toISOString()} ---`;
    appendFileSync(log, `${marker}\n$ ${[launch.command, ...launch.args].join(' ')}\n${(launch.notes ?? []).map((note) => `note: ${note}\n`).join('')}`);
    for (const message of launch.notes ?? []) r.options.onEvent?.({ type: 'note', service: spec.name, message });
    const child = spawnDetached(launch.command, launch.args, { logFile: log, env: launch.env, cwd: r.stateDir });
    const url = spec.url ? spec.url({ stateDir: r.stateDir, port: port ?? 0 }) : `http://127.0.0.1:${port}`;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    if (child.pid === undefined) {
      const error = await spawnError;
      throw new ServiceStartError(spec.name, log, `Cannot start the ${spec.title} (${launch.command}): ${error.message}.`, { cause: error });
    }
    const rec: ServiceRecord = { pid: child.pid, ...(port === undefined ? {} : { port }), url, log, startedAt: new Date().toISOString() };
    record(rec);
    const started = guardStarted(spec, child.pid, r, () => record(undefined));
    r.options.onEvent?.({ type: 'starting', service: spec.name, url, pid: child.pid, log });
    try {
      await waitUntilHealthy({
        service: spec.name,
        title: spec.title,
        url: spec.probe ? url : healthUrl(spec, url),
        check: spec.healthy,
        probe: spec.probe ? () => spec.probe!({ url, stateDir: r.stateDir, timeoutMs: 2_000 }) : undefined,
        child,
        log,
        timeoutMs: r.options.timeoutMs ?? spec.startTimeoutMs,
      });
      r.options.onEvent?.({ type: 'ready', service: spec.name, url, pid: child.pid });
      return started;
    } catch (error) {
      await started.dispose();
      const since = logTail(log, 200).split(marker).pop() ?? '';
      if (attempt === 1 && port !== undefined && ADDRESS_IN_USE.test(since)) continue;
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
        await stopService(SERVICES[name], record.pid, r, SERVICES[name].stopGraceMs);
        stopped.push(name);
        options.onEvent?.({ type: 'stopped', service: name, url: record.url, pid: record.pid });
      } else cleanUpAfter(SERVICES[name], r); // it died on its own; what it left behind is still ours
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
      const healthy = running && (await isHealthy(spec, record.url, r.stateDir, 3_000));
      return [name, { running, healthy, pid: record.pid, url: record.url, log }];
    }),
  );
  return { stateDir: r.stateDir, services: Object.fromEntries(entries) as Record<ServiceName, ServiceStatus> };
}
