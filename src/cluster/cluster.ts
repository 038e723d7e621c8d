/**
 * `clusterUp` / `clusterDown` / `clusterStatus`: a single-node Kubernetes on this machine — a
 * private containerd, etcd, the control plane and a real kubelet — tracked in
 * `<stateDir>/cluster.json`. Up is idempotent: healthy components are reused, missing or sick
 * ones (re)started in dependency order. Down stops what this state dir started, and its pods.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Registration, onCleanup } from '../host/cleanup.ts';
import { withLock } from '../host/lock.ts';
import { releaseMounts } from '../host/mounts.ts';
import { choosePort } from '../host/ports.ts';
import { stopGroup } from '../host/process.ts';
import { binDir, binariesPresent, ensureBinaries } from './build.ts';
import { COMPONENT_NAMES, COMPONENTS, type ComponentContext, type ComponentName, DEFAULT_PORTS, type Ports, apiServerUrl, writeKubeletConfig, writeSchedulerConfig } from './components.ts';
import { writeRuntimeConfig } from './containerd.ts';
import { ensureHostPackages, ensureNodeInterface, killPodProcesses, killShims, otherClusters, refuseOtherCluster, removeInterfaces, requireRoot, routeApiService, unmountUnder, unrouteApiService } from './host.ts';
import { ensureNodeImages } from './images.ts';
import { type Layout, NETWORK, defaultCacheRoot, defaultStateDir, layoutOf } from './layout.ts';
import { type ClusterEvent, ensureComponent, ownedBy } from './lifecycle.ts';
import { ensurePki, writeKubeconfigs } from './pki.ts';
import { nodeReady, removeAllPods, waitForDefaultServiceAccount, waitForNodeReady } from './readiness.ts';
import { readState, writeState } from './state.ts';

export interface ClusterOptions {
  /** Default: `HP_CLUSTER_DIR`, else `<repo>/.cluster`. */
  stateDir?: string;
  /** Where binaries are built and cached (default: the machine cache, see layout.ts). */
  cacheRoot?: string;
  /** Time to wait for the node to turn Ready (default 180 s). */
  readyTimeoutMs?: number;
  onEvent?: (event: ClusterEvent) => void;
}

export type { ClusterEvent } from './lifecycle.ts';

export interface ClusterInfo {
  stateDir: string;
  /** Admin kubeconfig (client certificate of a system:masters user, everything embedded). */
  kubeconfig: string;
  server: string;
  nodeName: string;
  nodeIp: string;
  binDir: string;
}

export interface ComponentStatus {
  running: boolean;
  healthy: boolean;
  pid?: number;
  endpoint: string;
  log: string;
}

export interface ClusterStatus {
  stateDir: string;
  kubeconfig?: string;
  server?: string;
  nodeReady: boolean;
  /** The binaries are built and cached on this machine (`up` then takes seconds, not a build). */
  binariesBuilt: boolean;
  /** The kubectl built with the cluster (when built), for people and test harnesses. */
  kubectl?: string;
  components: Record<ComponentName, ComponentStatus>;
}

function contextFor(layout: Layout, ports: Ports, cacheRoot: string): ComponentContext {
  return { layout, ports, bin: binDir(cacheRoot) };
}

async function choosePorts(previous: Ports | undefined): Promise<Ports> {
  if (previous) return previous;
  const chosen = { ...DEFAULT_PORTS };
  const taken = new Set<number>();
  for (const key of Object.keys(chosen) as (keyof Ports)[]) {
    let port = await choosePort(chosen[key]);
    while (taken.has(port)) port = await choosePort(0);
    taken.add(port);
    chosen[key] = port;
  }
  return chosen;
}

export function infoOf(layout: Layout, ports: Ports, cacheRoot: string): ClusterInfo {
  return { stateDir: layout.stateDir, kubeconfig: layout.kubeconfig, server: apiServerUrl(ports), nodeName: NETWORK.nodeName, nodeIp: NETWORK.nodeIp, binDir: binDir(cacheRoot) };
}

function writeIfChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  writeFileSync(file, content);
}

/** Builds what is missing, starts what is not running, waits for a Ready node and the default service account. */
export async function clusterUp(options: ClusterOptions = {}): Promise<ClusterInfo> {
  requireRoot();
  const layout = layoutOf(path.resolve(options.stateDir ?? defaultStateDir()));
  // Refuse before installing, building or starting anything (checked again under the lock).
  refuseOtherCluster(layout.stateDir);
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const emit = options.onEvent ?? (() => {});
  for (const pkg of await ensureHostPackages((line) => emit({ type: 'setup', line }))) emit({ type: 'setup', line: `installed ${pkg}` });
  await ensureBinaries({ cacheRoot, onLine: (line) => emit({ type: 'build', line }) });
  mkdirSync(layout.stateDir, { recursive: true });
  writeIfChanged(path.join(layout.stateDir, '.gitignore'), '# health-predict cluster state: certificates, etcd data, containers\n*\n');
  return withLock(layout.stateDir, 'cluster', async () => {
    refuseOtherCluster(layout.stateDir);
    const state = readState(layout.stateFile);
    const ports = await choosePorts(state.ports);
    state.ports = ports;
    writeState(layout.stateFile, state);
    const ctx = contextFor(layout, ports, cacheRoot);

    await ensureNodeInterface();
    await routeApiService(ports.apiserver);
    const made = await ensurePki(layout);
    if (made.length) emit({ type: 'setup', line: `certificates made: ${made.join(', ')}` });
    writeKubeconfigs(layout, apiServerUrl(ports));
    writeRuntimeConfig(layout);
    writeKubeletConfig(ctx);
    writeSchedulerConfig(ctx);

    // What this call starts is stopped again when it fails or is interrupted (last first, then what they left).
    const started: Registration[] = [];
    const leftovers = onCleanup({
      name: `the containerd shims and mounts left under ${layout.stateDir}`,
      dispose: () => releaseLeftovers(layout, started.length > 0),
      disposeSync: () => releaseLeftovers(layout, started.length > 0),
    });
    try {
      for (const name of COMPONENT_NAMES) {
        const registration = await ensureComponent(name, ctx, state, emit);
        if (registration) started.push(registration);
        if (name === 'containerd') {
          const imported = await ensureNodeImages(layout, ctx.bin);
          if (imported.length) emit({ type: 'setup', line: `images imported: ${imported.join(', ')}` });
        }
      }
      await waitForNodeReady(layout, ports, options.readyTimeoutMs ?? 180_000);
      await waitForDefaultServiceAccount(layout, ports, 120_000);
    } catch (error) {
      for (const registration of [...started].reverse()) await registration.dispose();
      await leftovers.dispose();
      throw error;
    }
    // Up: from now on the cluster outlives this process, until `cluster down`.
    for (const registration of started) registration.release();
    leftovers.release();
    return infoOf(layout, ports, cacheRoot);
  });
}

/** After stopping components a failed `up` started: their containerd shims and the mounts under the state dir. */
function releaseLeftovers(layout: Layout, anyStarted: boolean): void {
  if (!anyStarted) return;
  killShims(layout.containerd.socket);
  releaseMounts(layout.stateDir);
}

/** Stops the pods, the kubelet, the control plane and containerd this state dir started; removes the node's interfaces, the kubernetes Service route and mounts. Returns the components stopped. */
export async function clusterDown(options: ClusterOptions = {}): Promise<ComponentName[]> {
  const layout = layoutOf(path.resolve(options.stateDir ?? defaultStateDir()));
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  if (!existsSync(layout.stateFile)) return [];
  requireRoot();
  const emit = options.onEvent ?? (() => {});
  return withLock(layout.stateDir, 'cluster', async () => {
    const state = readState(layout.stateFile);
    const stopped: ComponentName[] = [];
    const stop = async (name: ComponentName) => {
      const record = state.components[name];
      if (!record) return;
      if (ownedBy(record.pid, layout)) {
        await stopGroup(record.pid, 20_000);
        stopped.push(name);
        emit({ type: 'stopped', component: name, pid: record.pid });
      }
      delete state.components[name];
      writeState(layout.stateFile, state);
    };
    await stop('kubelet');
    // The kubelet is gone; its containers are not. Remove every pod through CRI while containerd still runs.
    const containerd = state.components.containerd;
    if (containerd && ownedBy(containerd.pid, layout)) {
      const removed = await removeAllPods(layout, path.join(binDir(cacheRoot), 'crictl'));
      if (removed) emit({ type: 'setup', line: removed });
    }
    for (const name of ['kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd', 'containerd'] as const) await stop(name);
    const shims = killShims(layout.containerd.socket);
    if (shims) emit({ type: 'setup', line: `killed ${shims} leftover containerd shim(s)` });
    const strays = killPodProcesses();
    if (strays) emit({ type: 'setup', line: `killed ${strays} container process(es) left in the pod cgroups` });
    const unmounted = await unmountUnder(layout.stateDir);
    if (unmounted.length) emit({ type: 'setup', line: `unmounted ${unmounted.length} leftover mount(s) under ${layout.stateDir}` });
    if (!otherClusters(layout.stateDir).length) {
      const unrouted = await unrouteApiService();
      if (unrouted.length) emit({ type: 'setup', line: `removed the kubernetes Service route: ${unrouted.join(', ')}` });
      const removed = await removeInterfaces();
      if (removed.length) emit({ type: 'setup', line: `removed interfaces: ${removed.join(', ')}` });
    }
    return stopped;
  });
}

/** Each component's process and health, and whether the node is Ready. */
export async function clusterStatus(options: ClusterOptions = {}): Promise<ClusterStatus> {
  const layout = layoutOf(path.resolve(options.stateDir ?? defaultStateDir()));
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const state = readState(layout.stateFile);
  const ports = state.ports ?? DEFAULT_PORTS;
  const ctx = contextFor(layout, ports, cacheRoot);
  const entries = await Promise.all(
    COMPONENT_NAMES.map(async (name): Promise<[ComponentName, ComponentStatus]> => {
      const record = state.components[name];
      const running = record !== undefined && ownedBy(record.pid, layout);
      const healthy = running && (await COMPONENTS[name].healthy(ctx).catch(() => false));
      return [name, { running, healthy, pid: record?.pid, endpoint: COMPONENTS[name].endpoint(ctx), log: layout.log(name) }];
    }),
  );
  const components = Object.fromEntries(entries) as Record<ComponentName, ComponentStatus>;
  const apiUp = components['kube-apiserver'].healthy;
  const binariesBuilt = binariesPresent(cacheRoot);
  return {
    stateDir: layout.stateDir,
    kubeconfig: apiUp ? layout.kubeconfig : undefined,
    server: apiUp ? apiServerUrl(ports) : undefined,
    nodeReady: apiUp && (await nodeReady(layout, ports).catch(() => false)),
    binariesBuilt,
    ...(binariesBuilt ? { kubectl: path.join(binDir(cacheRoot), 'kubectl') } : {}),
    components,
  };
}
