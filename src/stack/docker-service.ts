/**
 * Docker's daemon as a stack service: Debian's `dockerd` with overlay2 storage (vfs where the
 * kernel cannot mount overlayfs), no bridge and no iptables (containers use the host network),
 * its API on a unix socket in the state dir.
 *
 * The image store (`--data-root`) lives in the machine cache so images survive `stack down`
 * and fresh clones. Two daemons must never share one store, so when another dockerd already
 * uses it (a second stack, a test run beside `stack up`), this one gets a private store in
 * its state dir and says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { machineCacheDir } from '../host/machine-cache.ts';
import { releaseMounts } from '../host/mounts.ts';
import { findExecutable, processesWithArg } from '../host/process.ts';
import { StackError } from './errors.ts';
import { probeSocket } from './health.ts';
import type { LaunchContext, ServiceSpec } from './services.ts';

/**
 * Longest socket path dockerd's containerd starts with. The kernel's sun_path allows 107
 * characters, but measured on this machine (containerd 1.6) a `containerd.sock.ttrpc` path of 105
 * characters made containerd time out and dockerd exit; 104 started.
 */
const MAX_SOCKET_PATH = 104;
/**
 * BuildKit's cache is garbage-collected beyond this. BuildKit counts each record's diff; overlay2
 * stores just that, but vfs stores it as a whole root filesystem (2GB of accounted cache was 12 GB
 * on disk after one `make test`), so under vfs the cache is kept small. Under overlay2 it holds
 * what the three images a rebuild reuses need together: the Airflow image's Python environments
 * (~3 GB), the task image's ML environment (1.6 GB), node_modules and bundles (the image is 2.4 GB)
 * and the API image's layers (the image is 0.24 GB). At 6GB the cache sat full (6.35 GB) and GC
 * evicted one of them, so its next build was cold (task image: 190 s cold against 2 s warm); 16GB
 * holds all three with room. `HP_BUILD_CACHE_LIMIT` overrides it (buildCacheLimit).
 */
const BUILD_CACHE_LIMIT = { overlay2: '16GB', vfs: '256MB' } as const;
/** A size as dockerd's `defaultKeepStorage` reads it: a number and a unit, e.g. 16GB, 500MB. */
const BUILD_CACHE_SIZE = /^\d+(\.\d+)?(B|KB|MB|GB|TB)$/i;

export type StorageDriver = keyof typeof BUILD_CACHE_LIMIT;

/**
 * The build cache limit for `driver`: `HP_BUILD_CACHE_LIMIT` when set, else BUILD_CACHE_LIMIT's.
 * dockerd reads it from its config file at start, so a changed limit reaches a running daemon at
 * its next start (`stack down` then `stack up`).
 */
export function buildCacheLimit(driver: StorageDriver, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.HP_BUILD_CACHE_LIMIT?.trim();
  if (!chosen) return BUILD_CACHE_LIMIT[driver];
  if (!BUILD_CACHE_SIZE.test(chosen)) {
    throw new StackError(`HP_BUILD_CACHE_LIMIT=${JSON.stringify(env.HP_BUILD_CACHE_LIMIT)} is not a size: use a number and a unit (B, KB, MB, GB, TB), e.g. 16GB or 500MB, or unset it for the default (${BUILD_CACHE_LIMIT[driver]} under ${driver}).`);
  }
  return chosen;
}

/** containerd puts `containerd.sock.ttrpc` under `<exec-root>/containerd/`. */
const CONTAINERD_SOCKET = path.join('containerd', 'containerd.sock.ttrpc');

export interface DockerPaths {
  dir: string;
  socket: string;
  execRoot: string;
  pidFile: string;
  configFile: string;
  /** The private image store used when the shared one is taken. */
  privateDataRoot: string;
  /** Names the image store the daemon was started with. */
  dataRootFile: string;
}

export function dockerPaths(stateDir: string): DockerPaths {
  const dir = path.join(stateDir, 'docker');
  return {
    dir,
    socket: path.join(dir, 'docker.sock'),
    execRoot: path.join(dir, 'run'),
    pidFile: path.join(dir, 'run', 'docker.pid'),
    configFile: path.join(dir, 'daemon.json'),
    privateDataRoot: path.join(dir, 'data'),
    dataRootFile: path.join(dir, 'data-root'),
  };
}

/** `HP_DOCKER_DATA_ROOT`, else `<machine cache>/docker`. */
export function sharedDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.HP_DOCKER_DATA_ROOT ? path.resolve(env.HP_DOCKER_DATA_ROOT) : path.join(machineCacheDir(env), 'docker');
}

/** `unix://<state dir>/docker/docker.sock`: the DOCKER_HOST of this stack's daemon. */
export function dockerHostFor(stateDir: string): string {
  return `unix://${dockerPaths(stateDir).socket}`;
}

function readFileOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function cgroupProblem(): string | undefined {
  const root = '/sys/fs/cgroup';
  if (existsSync(path.join(root, 'cgroup.controllers'))) return undefined; // cgroup v2
  if (['memory', 'devices', 'pids'].every((controller) => existsSync(path.join(root, controller)))) return undefined; // cgroup v1
  return `no cgroup filesystem is mounted at ${root} (neither cgroup v2's cgroup.controllers nor the v1 memory, devices and pids controllers), so dockerd cannot confine containers. Mount cgroups (e.g. \`mount -t cgroup2 none ${root}\`) or run on a machine/VM that has them`;
}

/**
 * Why dockerd cannot run here, or undefined when it can: not installed, not root, no cgroups,
 * or a state dir too deep for unix socket paths. Tests use this to skip with the reason.
 */
export function dockerUnavailableReason(stateDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = ['dockerd', 'containerd', 'runc'].filter((name) => !findExecutable(name, env));
  if (missing.length) return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed. Run \`make setup-docker\` (as root it installs Debian's docker.io, docker-registry, debootstrap and apache2-utils)`;
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0) {
    return `dockerd must run as root (this process runs as uid ${uid}): it mounts filesystems and creates namespaces for every container. Run the stack as root (e.g. \`sudo node bin/health-predict.mjs stack up --services docker,registry\`)`;
  }
  const cgroups = cgroupProblem();
  if (cgroups) return cgroups;
  const paths = dockerPaths(stateDir);
  const longest = [paths.socket, path.join(paths.execRoot, CONTAINERD_SOCKET)].find((socket) => socket.length > MAX_SOCKET_PATH);
  if (longest) return `the socket path ${longest} is longer than the ${MAX_SOCKET_PATH} characters dockerd's containerd starts with. Use a shorter state dir (HP_STACK_DIR or --state-dir)`;
  return undefined;
}

/**
 * overlay2 when this kernel mounts overlayfs on the data root's file system (tried with a real
 * mount), else vfs, which works everywhere but copies every layer and container whole.
 * `HP_DOCKER_STORAGE_DRIVER` chooses.
 */
export function storageDriverFor(dataRoot: string, env: NodeJS.ProcessEnv = process.env): StorageDriver {
  const chosen = env.HP_DOCKER_STORAGE_DRIVER;
  if (chosen === 'overlay2' || chosen === 'vfs') return chosen;
  mkdirSync(dataRoot, { recursive: true });
  const probe = mkdtempSync(path.join(dataRoot, '.overlay-probe-'));
  try {
    for (const part of ['lower', 'upper', 'work', 'merged']) mkdirSync(path.join(probe, part));
    const options = `lowerdir=${probe}/lower,upperdir=${probe}/upper,workdir=${probe}/work`;
    if (spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, path.join(probe, 'merged')]).status !== 0) return 'vfs';
    spawnSync('umount', [path.join(probe, 'merged')]);
    return 'overlay2';
  } finally {
    releaseMounts(probe);
    rmSync(probe, { recursive: true, force: true });
  }
}

/**
 * A store used before with the other storage driver keeps that driver's layers (unreachable now,
 * often many GB) and BuildKit state naming them, which fails later builds with "layer does not
 * exist" on a cache hit: both go when the driver changes. Returns what was removed.
 */
function forgetOtherDriver(dataRoot: string, driver: StorageDriver): string[] {
  const stamp = path.join(dataRoot, '.storage-driver');
  if (readFileOr(stamp) === driver) return [];
  const other: StorageDriver = driver === 'vfs' ? 'overlay2' : 'vfs';
  const stale = [path.join(dataRoot, 'buildkit'), path.join(dataRoot, other), path.join(dataRoot, 'image', other)].filter((dir) => existsSync(dir));
  for (const dir of stale) rmSync(dir, { recursive: true, force: true });
  writeFileSync(stamp, `${driver}\n`);
  return stale;
}

/** The store to use: the shared one unless another live dockerd holds it. */
function chooseDataRoot(stateDir: string, env: NodeJS.ProcessEnv): { dataRoot: string; note?: string } {
  const shared = sharedDataRoot(env);
  const holders = processesWithArg(`--data-root=${shared}`);
  if (!holders.length) return { dataRoot: shared };
  const { privateDataRoot } = dockerPaths(stateDir);
  return {
    dataRoot: privateDataRoot,
    note: `the shared image store ${shared} is in use by another dockerd (pid ${holders.join(', ')}), so this daemon keeps its images in ${privateDataRoot} (removed with the state dir; the base image is re-imported from its cached root filesystem)`,
  };
}

export const dockerService: ServiceSpec = {
  name: 'docker',
  title: 'Docker daemon (dockerd)',
  defaultPort: undefined,
  startTimeoutMs: 60_000,
  // dockerd stops running containers (up to --shutdown-timeout) and its containerd first.
  stopGraceMs: 30_000,
  marker: 'dockerd',
  healthPath: '/_ping',
  healthy: (status, body) => status === 200 && body.trim() === 'OK',
  url: ({ stateDir }) => dockerHostFor(stateDir),
  probe: ({ stateDir, timeoutMs }) => probeSocket(dockerPaths(stateDir).socket, '/_ping', dockerService.healthy, timeoutMs),
  preflight: ({ stateDir, env }) => dockerUnavailableReason(stateDir, env),
  installHint: () => "Run `make setup-docker` (as root it installs Debian's docker.io).",
  afterStop(stateDir) {
    // overlay2 mounts each container's file system under the data root, which may be the shared one
    const dataRoot = readFileOr(dockerPaths(stateDir).dataRootFile);
    const left = [...releaseMounts(dockerPaths(stateDir).dir), ...(dataRoot ? releaseMounts(path.join(dataRoot, 'overlay2')) : [])];
    return left.length ? [`still mounted after dockerd stopped: ${left.join(', ')}; unmount by hand before deleting ${stateDir}`] : [];
  },
  launch({ stateDir, env }: LaunchContext) {
    const paths = dockerPaths(stateDir);
    const { dataRoot, note } = chooseDataRoot(stateDir, env);
    mkdirSync(paths.execRoot, { recursive: true });
    mkdirSync(dataRoot, { recursive: true });
    const driver = storageDriverFor(dataRoot, env);
    const cacheLimit = buildCacheLimit(driver, env);
    const forgotten = forgetOtherDriver(dataRoot, driver);
    // A config of our own (a machine-wide /etc/docker/daemon.json must not change this daemon),
    // rewritten at every start: dockerd reads it only then.
    writeFileSync(paths.configFile, `${JSON.stringify({ builder: { gc: { enabled: true, defaultKeepStorage: cacheLimit } } })}\n`);
    writeFileSync(paths.dataRootFile, `${dataRoot}\n`);
    return {
      command: findExecutable('dockerd', env) ?? 'dockerd',
      args: [
        `--host=unix://${paths.socket}`,
        `--data-root=${dataRoot}`,
        `--exec-root=${paths.execRoot}`,
        `--pidfile=${paths.pidFile}`,
        `--config-file=${paths.configFile}`,
        `--storage-driver=${driver}`,
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        '--shutdown-timeout=10',
      ],
      env: { ...env, PATH: [env.PATH, '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter(Boolean).join(path.delimiter) },
      notes: [
        ...(note ? [note] : []),
        ...(forgotten.length ? [`the image store changes to the ${driver} storage driver: removed the other driver's layers and the build cache (${forgotten.join(', ')})`] : []),
        ...(driver === 'vfs' ? ['this kernel cannot mount overlayfs here, so dockerd uses the vfs storage driver (every layer and container a whole copy: slower, more disk)'] : []),
      ],
    };
  },
};
