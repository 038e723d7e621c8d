/**
 * The local Airflow platform (docker-compose.airflow.yml): `up` finds or starts a Docker daemon,
 * writes the secrets, builds the images, starts every service and waits until each is healthy;
 * `down` stops it (and removes its volumes when asked); `status` lists the services.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { clusterStatus } from '../cluster/index.ts';
import { ensureBaseImage } from '../images/base-image.ts';
import { connectDocker } from '../images/docker.ts';
import { withReplacedImageRemoved } from '../images/replaced-image.ts';
import { applyPullSecret, withCluster } from '../k8s/index.ts';
import { stackDown, stackStatus, stackUp } from '../stack/index.ts';
import { REPO_ROOT } from '../host/repo-root.ts';
import { type ComposeContainer, type ComposeTarget, DEFAULT_PROJECT, LOCAL_ENV_FILE, compose, listContainers, runCompose } from './compose.ts';
import { ensureComposeBinary } from './compose-binary.ts';
import { ensureEnvFile, parseEnvFile } from './env-file.ts';
import { PlatformError } from './errors.ts';
import { readPlatformState, writePlatformState } from './state.ts';

/** Services that run once and exit (0 = done) before the others start. */
export const ONE_SHOT_SERVICES = ['airflow-init', 's3-seed'] as const;
export const PLATFORM_SERVICES = ['postgres', 'airflow-init', 'registry', 'mlflow', 's3', 's3-seed', 'airflow-apiserver', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer'] as const;
/** The namespace and pull secret the pipeline deploys with on the local cluster. */
export const CLUSTER_NAMESPACE = 'health-predict';
export const CLUSTER_PULL_SECRET = 'health-predict-registry';
const REAL_DATA_DIR = path.resolve(REPO_ROOT, '../shared/data/diabetes-130');

export interface PlatformOptions {
  /** Where the compose files are (default: the repository root). */
  dir?: string;
  project?: string;
  /** The secrets file (default `<dir>/.env`). */
  envFile?: string;
  /** More compose files after the platform's (a test's settings). */
  extraFiles?: readonly string[];
  /** More variables for compose to interpolate (they win over .env). */
  env?: Record<string, string>;
  /** Stack state dir whose dockerd to start when no daemon answers (default `<repo>/.stack`). */
  stackDir?: string;
  /** Where `up` records its choices and puts the kubeconfig it mounts (default `<dir>/.platform/<project>`). */
  stateDir?: string;
  /** Namespace the pipeline deploys to on the local cluster (default health-predict). */
  namespace?: string;
  /** Directory holding diabetic_data.csv for the raw-data bucket; default HP_RAW_DATA_DIR, else the shared UCI copy when present, else synthetic. */
  rawDataDir?: string;
  onProgress?: (line: string) => void;
}

export interface PlatformContext {
  target: ComposeTarget;
  /** Settings as compose sees them: .env, the local env file, then the process's. */
  settings: Record<string, string>;
  stateDir: string;
  stateFile: string;
}

export function platformStateDir(options: PlatformOptions): string {
  const project = options.project ?? process.env.HP_COMPOSE_PROJECT ?? DEFAULT_PROJECT;
  return options.stateDir ?? path.join(options.dir ?? REPO_ROOT, '.platform', project);
}

export interface PlatformInfo {
  url: string;
  username: string;
  password: string;
  /** Where the pipeline deploys: the local cluster, or only as far as the registry push. */
  deploys: { kubernetes: true; namespace: string; pullSecret?: string } | { kubernetes: false; reason: string };
  local: boolean;
  dockerHost: string;
  startedDocker: boolean;
  rawData: string;
  services: ComposeContainer[];
  ms: number;
}

const note = (options: PlatformOptions, line: string) => (options.onProgress ?? ((text: string) => console.error(text)))(line);
/** The progress lines as the log of what `up` calls (the base image, the pull secret). */
const progressLog = (options: PlatformOptions) => ({ info: (_: object, msg: string) => note(options, msg), warn: (_: object, msg: string) => note(options, `warning: ${msg}`) });

function socketPath(dockerHost: string): string {
  if (!dockerHost.startsWith('unix://')) throw new PlatformError(`DOCKER_HOST=${dockerHost}: the platform mounts the daemon's socket into the Airflow containers, so it needs a unix:// socket.`);
  return dockerHost.slice('unix://'.length);
}

async function answers(dockerHost: string): Promise<boolean> {
  try {
    await connectDocker(dockerHost).ping();
    return true;
  } catch {
    return false;
  }
}

/** DOCKER_HOST when it answers, else /var/run/docker.sock, else the stack's own dockerd (started now). */
async function findDocker(options: PlatformOptions): Promise<{ dockerHost: string; started: boolean }> {
  const fromEnv = process.env.DOCKER_HOST;
  if (fromEnv) {
    if (await answers(fromEnv)) return { dockerHost: fromEnv, started: false };
    throw new PlatformError(`DOCKER_HOST=${fromEnv} does not answer. Start that daemon, or unset DOCKER_HOST to use /var/run/docker.sock or the stack's own dockerd.`);
  }
  if (await answers('unix:///var/run/docker.sock')) return { dockerHost: 'unix:///var/run/docker.sock', started: false };
  const stateDir = options.stackDir;
  const running = (await stackStatus({ stateDir, services: ['docker'] })).services.docker;
  if (running?.healthy && running.url) return { dockerHost: running.url, started: false };
  note(options, 'no Docker daemon answers: starting the stack\'s dockerd (health-predict stack up --services docker)');
  const info = await stackUp({ stateDir, services: ['docker'], onEvent: (event) => event.type === 'note' && note(options, `docker: ${event.message}`) });
  if (!info.dockerHost) throw new PlatformError('The stack started no dockerd; see `health-predict stack status`.');
  return { dockerHost: info.dockerHost, started: true };
}

/** A daemon without the default bridge network (dockerd --bridge=none) needs the host-network override. */
async function needsLocalOverride(dockerHost: string): Promise<boolean> {
  const forced = process.env.HP_PLATFORM_LOCAL;
  if (forced === '1' || forced === '0') return forced === '1';
  const networks = await connectDocker(dockerHost).listNetworks();
  return !networks.some((network) => network.Name === 'bridge');
}

function readEnvFile(file: string): Record<string, string> {
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

function rawDataDir(options: PlatformOptions, dir: string): string {
  const chosen = options.rawDataDir ?? process.env.HP_RAW_DATA_DIR;
  if (chosen) return path.resolve(chosen);
  if (existsSync(path.join(REAL_DATA_DIR, 'diabetic_data.csv'))) return REAL_DATA_DIR;
  return path.join(dir, 'airflow', 'no-raw-data');
}

/** The compose target and settings for this checkout, without starting anything. */
export async function platformContext(options: PlatformOptions = {}, docker?: { dockerHost: string; local: boolean }): Promise<PlatformContext> {
  const dir = options.dir ?? REPO_ROOT;
  const project = options.project ?? process.env.HP_COMPOSE_PROJECT ?? DEFAULT_PROJECT;
  const stateDir = platformStateDir(options);
  const stateFile = path.join(stateDir, 'state.json');
  const recorded = readPlatformState(stateFile);
  const dockerHost = docker?.dockerHost ?? recorded?.dockerHost ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const local = docker?.local ?? recorded?.local ?? false;
  const envFile = options.envFile ?? path.join(dir, '.env');
  const binary = await ensureComposeBinary({ onLine: (line) => note(options, `compose build: ${line}`) });
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: dockerHost, ...recorded?.env, ...options.env };
  const target: ComposeTarget = { binary, dir, project, envFile, local, extraFiles: options.extraFiles, env };
  const settings = { ...readEnvFile(envFile), ...(local ? readEnvFile(path.join(dir, LOCAL_ENV_FILE)) : {}), ...(recorded?.env ?? {}), ...(options.env ?? {}) };
  return { target, settings, stateFile, stateDir };
}

async function prepareCluster(context: PlatformContext, kubeDir: string, options: PlatformOptions): Promise<PlatformInfo['deploys']> {
  const namespace = options.namespace ?? CLUSTER_NAMESPACE;
  const kubeconfig = path.join(kubeDir, 'config');
  const own = process.env.HP_KUBECONFIG;
  if (own) {
    // The user's own cluster: its namespace and image pull secret are the user's to set (K8S_NAMESPACE, K8S_IMAGE_PULL_SECRET in .env).
    if (!existsSync(own)) throw new PlatformError(`HP_KUBECONFIG=${own} does not exist.`);
    copyFileSync(own, kubeconfig);
    chmodSync(kubeconfig, 0o640);
    return { kubernetes: true, namespace: context.settings.K8S_NAMESPACE ?? 'default' };
  }
  const status = await clusterStatus({});
  if (!status.kubeconfig) {
    return { kubernetes: false, reason: status.binariesBuilt ? 'the local cluster is not running (`health-predict cluster up`, then `make up` again)' : 'no local cluster on this machine (`health-predict cluster up` builds and starts one)' };
  }
  copyFileSync(status.kubeconfig, kubeconfig);
  // The containers run as AIRFLOW_UID with group 0: the copy must be group-readable (the cluster's own is 0600).
  chmodSync(kubeconfig, 0o640);
  const registry = { address: `127.0.0.1:${context.settings.REGISTRY_PORT ?? '5012'}`, username: context.settings.HP_LOCAL_REGISTRY_USERNAME ?? 'AWS', password: context.settings.HP_LOCAL_REGISTRY_PASSWORD ?? '' };
  process.env.KUBECONFIG = status.kubeconfig; // withCluster reads the kubeconfig from the environment
  await withCluster({}, (cluster) => applyPullSecret(cluster, { namespace, name: CLUSTER_PULL_SECRET, registry, log: progressLog(options) }));
  return { kubernetes: true, namespace, pullSecret: CLUSTER_PULL_SECRET };
}

/** Why a service is not ready yet, or undefined when it is (healthy, or a one-shot that finished). */
export function notReady(container: ComposeContainer | undefined): string | undefined {
  if (!container) return 'not created';
  if ((ONE_SHOT_SERVICES as readonly string[]).includes(container.Service)) {
    if (container.State === 'exited') return container.ExitCode === 0 ? undefined : `exited with code ${container.ExitCode}`;
    return container.State;
  }
  if (container.State !== 'running') return container.State === 'exited' ? `exited with code ${container.ExitCode}` : container.State;
  if (container.Health && container.Health !== 'healthy') return container.Health;
  return undefined;
}

/** The last log lines of every service that is not ready, for an error message. */
async function unreadyLogs(context: PlatformContext): Promise<string> {
  const containers = await listContainers(context.target).catch(() => []);
  const parts: string[] = [];
  for (const container of containers) {
    const reason = notReady(container);
    if (!reason || reason === 'created') continue;
    const logs = await runCompose(context.target, ['logs', '--no-color', '--tail', '20', container.Service]);
    parts.push(`\n--- ${container.Service} (${reason}), last log lines:\n${logs.stdout.trim()}`);
  }
  return parts.join('');
}

/** A state no wait will fix: a one-shot that failed, or a service that stopped. */
function failed(container: ComposeContainer | undefined): boolean {
  return container?.State === 'exited' && container.ExitCode !== 0;
}

/** Polls the services until every one is ready; fails with the failing service's log. */
export async function waitUntilHealthy(context: PlatformContext, options: PlatformOptions & { timeoutMs?: number }): Promise<ComposeContainer[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const seen = new Map<string, string>();
  for (;;) {
    const containers = await listContainers(context.target);
    const byService = new Map(containers.map((container) => [container.Service, container]));
    const waiting: string[] = [];
    for (const service of PLATFORM_SERVICES) {
      const container = byService.get(service);
      const reason = notReady(container);
      const shown = reason ?? 'ready';
      if (seen.get(service) !== shown) note(options, `${service}: ${shown}`);
      seen.set(service, shown);
      if (failed(container)) {
        const logs = await compose(context.target, ['logs', '--no-color', '--tail', '30', service]).catch((error: Error) => ({ stdout: error.message }));
        throw new PlatformError(`${service} ${reason}. Its last log lines:\n${logs.stdout.trim()}`);
      }
      if (reason) waiting.push(`${service} (${reason})`);
    }
    if (!waiting.length) return containers;
    if (Date.now() > deadline) throw new PlatformError(`Not healthy after ${Math.round((options.timeoutMs ?? 15 * 60_000) / 1000)} s: ${waiting.join(', ')}. See \`health-predict airflow logs <service>\`.`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

interface Prepared {
  docker: { dockerHost: string; started: boolean };
  local: boolean;
  machineEnv: { HP_DOCKER_SOCKET: string; HP_DOCKER_GID: string; HP_KUBE_DIR: string; HP_RAW_DATA_DIR: string };
  kubeDir: string;
}

/** A daemon, the base image the local override builds from, the secrets, and the paths compose mounts. */
async function preparePlatform(options: PlatformOptions): Promise<Prepared> {
  const dir = options.dir ?? REPO_ROOT;
  const docker = await findDocker(options);
  const local = await needsLocalOverride(docker.dockerHost);
  if (local) {
    note(options, 'this dockerd has no bridge network: adding docker-compose.local.yml (host networking, images built from Debian packages)');
    await ensureBaseImage({ docker: connectDocker(docker.dockerHost), log: progressLog(options) });
  }
  const envFile = options.envFile ?? path.join(dir, '.env');
  const { generated } = ensureEnvFile(envFile);
  if (generated.length) note(options, `wrote new secrets to ${path.relative(process.cwd(), envFile) || envFile}: ${generated.join(', ')}`);
  const kubeDir = path.join(platformStateDir(options), 'kube');
  mkdirSync(kubeDir, { recursive: true });
  const socket = socketPath(docker.dockerHost);
  const machineEnv = {
    HP_DOCKER_SOCKET: socket,
    HP_DOCKER_GID: String(statSync(socket).gid),
    HP_KUBE_DIR: kubeDir,
    HP_RAW_DATA_DIR: rawDataDir(options, dir),
  };
  return { docker, local, machineEnv, kubeDir };
}

/** The Airflow image `compose build` tags (the compose file's default unless HP_AIRFLOW_IMAGE, from the environment or the env files, names another). */
const airflowImage = (context: PlatformContext) => context.target.env.HP_AIRFLOW_IMAGE || context.settings.HP_AIRFLOW_IMAGE || 'health-predict/airflow:latest';

async function buildImages(context: PlatformContext, options: PlatformOptions): Promise<void> {
  note(options, 'building the images (cached after the first build)');
  // A rebuild moves the tag; the ~3.6 GB image it named before goes unless something still uses it.
  await withReplacedImageRemoved(connectDocker(context.target.env.DOCKER_HOST), airflowImage(context), progressLog(options), () =>
    compose(context.target, ['build'], (line) => note(options, `  ${line}`)),
  );
}

/** Builds the images `up` would build, and nothing else; stops the dockerd it had to start. */
export async function platformBuild(options: PlatformOptions = {}): Promise<{ ms: number; dockerHost: string }> {
  const started = performance.now();
  const { docker, local, machineEnv } = await preparePlatform(options);
  try {
    await buildImages(await platformContext({ ...options, env: { ...machineEnv, ...options.env } }, { dockerHost: docker.dockerHost, local }), options);
  } finally {
    if (docker.started) await stackDown({ stateDir: options.stackDir, services: ['docker'] });
  }
  return { ms: Math.round(performance.now() - started), dockerHost: docker.dockerHost };
}

/** Builds what is missing, starts every service and waits until all are healthy. */
export async function platformUp(options: PlatformOptions & { timeoutMs?: number; build?: boolean } = {}): Promise<PlatformInfo> {
  const started = performance.now();
  const { docker, local, machineEnv, kubeDir } = await preparePlatform(options);
  let context = await platformContext({ ...options, env: { ...machineEnv, ...options.env } }, { dockerHost: docker.dockerHost, local });
  const deploys = await prepareCluster(context, kubeDir, options);
  const clusterEnv: Record<string, string> = deploys.kubernetes ? { K8S_NAMESPACE: deploys.namespace, ...(deploys.pullSecret ? { K8S_IMAGE_PULL_SECRET: deploys.pullSecret } : {}) } : {};
  const env = { ...machineEnv, ...clusterEnv, ...options.env };
  context = await platformContext({ ...options, env }, { dockerHost: docker.dockerHost, local });
  const previous = readPlatformState(context.stateFile);
  writePlatformState(context.stateFile, { dockerHost: docker.dockerHost, local, startedDocker: docker.started || (previous?.startedDocker ?? false), env, project: context.target.project });
  if (options.build !== false) await buildImages(context, options);
  const up = await runCompose(context.target, ['up', '--detach', '--remove-orphans', '--no-build'], (line) => note(options, `  ${line}`));
  if (up.code !== 0) throw new PlatformError(`docker compose up failed (exit ${up.code}): ${(up.stderr.trim() || up.stdout.trim()).split('\n').at(-1)}${await unreadyLogs(context)}`);
  const services = await waitUntilHealthy(context, options);
  const port = context.settings.AIRFLOW_PORT ?? '8080';
  return {
    url: `http://localhost:${port}`,
    username: context.settings._AIRFLOW_WWW_USER_USERNAME ?? 'admin',
    password: context.settings._AIRFLOW_WWW_USER_PASSWORD ?? '',
    deploys,
    local,
    dockerHost: docker.dockerHost,
    startedDocker: docker.started,
    rawData: machineEnv.HP_RAW_DATA_DIR,
    services,
    ms: Math.round(performance.now() - started),
  };
}

/** Stops and removes the containers (and with `volumes`, every named volume); stops the dockerd `up` started. */
export async function platformDown(options: PlatformOptions & { volumes?: boolean } = {}): Promise<{ removedVolumes: boolean; stoppedDocker: boolean }> {
  const context = await platformContext(options);
  const state = readPlatformState(context.stateFile);
  if (!state) {
    note(options, 'the platform was not started from this checkout (no .platform/state.json): nothing to stop');
    return { removedVolumes: false, stoppedDocker: false };
  }
  if (await answers(state.dockerHost)) {
    await compose(context.target, ['down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])], (line) => note(options, `  ${line}`));
  } else note(options, `the Docker daemon at ${state.dockerHost} does not answer: no containers to stop`);
  let stoppedDocker = false;
  if (state.startedDocker) {
    await stackDown({ stateDir: options.stackDir, services: ['docker'] });
    stoppedDocker = true;
  }
  writePlatformState(context.stateFile, undefined);
  return { removedVolumes: options.volumes ?? false, stoppedDocker };
}

export async function platformStatus(options: PlatformOptions = {}): Promise<{ running: boolean; services: { service: string; state: string; ready: boolean }[] }> {
  const context = await platformContext(options);
  const state = readPlatformState(context.stateFile);
  if (!state || !(await answers(state.dockerHost))) return { running: false, services: [] };
  const containers = await listContainers(context.target);
  const byService = new Map(containers.map((container) => [container.Service, container]));
  return {
    running: containers.some((container) => container.State === 'running'),
    services: PLATFORM_SERVICES.map((service) => ({ service, state: byService.get(service)?.State ?? 'absent', ready: !notReady(byService.get(service)) })),
  };
}
