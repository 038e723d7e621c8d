/**
 * The local single-node cluster, for real: `up` (building the binaries once per machine when the
 * cache is empty), a Ready node with a real kubelet, pods that serve HTTP on the host network and
 * on the pod network behind a Service, and `down` stopping every process and pod it started.
 * Uses the machine's cluster (HP_CLUSTER_DIR or <repo>/.cluster) and leaves it as it found it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../../harness/skip.ts';
import { type HeldLock, holdClusterTestLock } from '../../harness/cluster-lock.ts';
import { ApiClient } from '../../../src/cluster/api.ts';
import { binDir, binariesPresent } from '../../../src/cluster/build.ts';
import { type ClusterEvent, type ClusterInfo, clusterDown, clusterStatus, clusterUp } from '../../../src/cluster/cluster.ts';
import { processesMatching } from '../../../src/cluster/host.ts';
import { NETWORK, defaultStateDir, layoutOf } from '../../../src/cluster/layout.ts';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';
import { K8S_VERSION } from '../../../src/cluster/versions.ts';
import { freePort } from '../../../src/host/ports.ts';
import { groupAlive } from '../../../src/host/process.ts';
import { containerIdOf, createNamespace, deleteNamespace, echoPodManifest, waitPodReady, waitServiceEndpoints } from './workloads.ts';

const skipReason =
  process.getuid?.() !== 0 ? 'not running as root; the kubelet manages cgroups and mounts and containerd creates containers'
  : !binariesPresent() && spawnSync('go', ['version']).status !== 0 ? `no cached cluster binaries and no Go toolchain to build them (${binDir()})`
  // A cold build takes 30–50 min on 2 cores: too long to start implicitly inside `make test`.
  : !binariesPresent() && process.env.HP_CLUSTER_BUILD !== '1'
    ? `the cluster binaries are not built on this machine yet (${binDir()}); run \`node bin/health-predict.mjs cluster up\` once (30–50 min cold), or set HP_CLUSTER_BUILD=1`
  : undefined;
const stateDir = defaultStateDir();
const namespace = `hp-cluster-test-${randomBytes(3).toString('hex')}`;
const message = randomBytes(8).toString('hex');
const log = (line: string) => console.log(`[cluster test] ${line}`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

let info: ClusterInfo;
let api: ApiClient;
let wasRunning = false;
let hostPort = 0;

async function getText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  expect(response.status).toBe(200);
  return response.text();
}

describeWithService(skipReason, 'local cluster', () => {
  let clusterLock: HeldLock | undefined;
  beforeAll(async () => {
    clusterLock = await holdClusterTestLock();
    wasRunning = (await clusterStatus({ stateDir })).nodeReady;
    const started = performance.now();
    info = await clusterUp({ stateDir, onEvent: (event) => event.type === 'build' && log(event.line) });
    log(`${wasRunning ? 'warm' : 'cold'} up took ${seconds(started)}`);
    api = new ApiClient(info.server, layoutOf(stateDir));
    await createNamespace(api, namespace);
  }, 7_200_000); // a cold build of Kubernetes took 40+ min on two busy cores

  afterAll(() => clusterLock?.release());

  afterAll(async () => {
    if (!info) return;
    await deleteNamespace(api, namespace).catch(() => undefined);
    if (!wasRunning) await clusterDown({ stateDir });
  }, 120_000);

  it('up again reuses every running component and returns the same cluster', async () => {
    const before = await clusterStatus({ stateDir });
    const events: ClusterEvent[] = [];
    const started = performance.now();
    const again = await clusterUp({ stateDir, onEvent: (event) => events.push(event) });
    log(`warm up (everything running) took ${seconds(started)}`);
    expect(again).toEqual(info);
    const lifecycle = events.filter((e) => 'component' in e).map((e) => `${e.type}:${'component' in e ? e.component : ''}`);
    expect(lifecycle).toEqual(['reuse:containerd', 'reuse:etcd', 'reuse:kube-apiserver', 'reuse:kube-controller-manager', 'reuse:kube-scheduler', 'reuse:kubelet']);
    const after = await clusterStatus({ stateDir });
    for (const [name, component] of Object.entries(after.components)) {
      expect(component, name).toMatchObject({ running: true, healthy: true, pid: before.components[name as keyof typeof before.components].pid });
    }
  }, 120_000);

  it(`has one Ready node running a real kubelet ${K8S_VERSION} on the node IP`, async () => {
    const node = await api.json<{ status: { conditions: { type: string; status: string }[]; nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string }; addresses: { type: string; address: string }[] } }>(`/api/v1/nodes/${NETWORK.nodeName}`);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.nodeInfo.kubeletVersion).toBe(K8S_VERSION);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: NETWORK.nodeIp });
    const status = await clusterStatus({ stateDir });
    expect(status.nodeReady).toBe(true);
    expect(status.kubeconfig).toBe(info.kubeconfig);
  });

  it('runs a host-network pod whose HTTP port answers on the node IP and through the API server', async () => {
    hostPort = await freePort();
    await api.json(`/api/v1/namespaces/${namespace}/pods`, { method: 'POST', body: echoPodManifest({ name: 'echo-host', port: hostPort, message, hostNetwork: true }) });
    await waitPodReady(api, namespace, 'echo-host');
    expect(JSON.parse(await getText(`http://${NETWORK.nodeIp}:${hostPort}/direct`))).toMatchObject({ server: 'hp-echo', path: '/direct', message });
    const proxied = await api.request(`/api/v1/namespaces/${namespace}/pods/echo-host:${hostPort}/proxy/via-api`);
    expect(proxied.status).toBe(200);
    expect(JSON.parse(proxied.body)).toMatchObject({ path: '/via-api', message });
  }, 180_000);

  it('runs a pod on the pod network behind a Service, reachable through the API server service proxy', async () => {
    await api.json(`/api/v1/namespaces/${namespace}/pods`, { method: 'POST', body: echoPodManifest({ name: 'echo-net', port: 8080, message, hostNetwork: false, labels: { app: 'echo-net' } }) });
    await api.json(`/api/v1/namespaces/${namespace}/services`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' }, spec: { selector: { app: 'echo-net' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    const pod = await waitPodReady(api, namespace, 'echo-net');
    expect(pod.status?.podIP).toMatch(/^10\.244\.0\.\d+$/);
    expect(await waitServiceEndpoints(api, namespace, 'echo')).toEqual([pod.status?.podIP]);
    const proxied = await api.request(`/api/v1/namespaces/${namespace}/services/echo:http/proxy/predict`);
    expect(proxied.status).toBe(200);
    expect(JSON.parse(proxied.body)).toMatchObject({ server: 'hp-echo', host: 'echo-net', path: '/predict', message });
  }, 180_000);

  it('prints KUBECONFIG from `cluster env` and a status table from the CLI', async () => {
    const cli = (...args: string[]) => promisify(execFile)('node', [path.join(REPO_ROOT, 'bin', 'health-predict.mjs'), 'cluster', ...args, '--state-dir', stateDir]);
    expect((await cli('env')).stdout).toBe(`export KUBECONFIG='${info.kubeconfig}'\n`);
    const status = (await cli('status')).stdout;
    expect(status).toMatch(/^kubelet\s+yes\s+yes\s+\d+/m);
    expect(status).toContain('node: Ready');
  }, 60_000);

  it('down stops every component, the pods and their shims; up brings the same cluster and its pods back', async () => {
    const before = await clusterStatus({ stateDir });
    const pids = Object.values(before.components).map((c) => c.pid!);
    const oldContainer = containerIdOf(await waitPodReady(api, namespace, 'echo-host'));
    expect(processesMatching('/hp-echo').length).toBeGreaterThanOrEqual(2);

    const stopping = performance.now();
    const stopped = await clusterDown({ stateDir });
    log(`down took ${seconds(stopping)}`);
    expect(stopped.sort()).toEqual(['containerd', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet']);
    for (const pid of pids) expect(groupAlive(pid), `process group ${pid}`).toBe(false);
    expect(processesMatching(stateDir)).toEqual([]);
    expect(processesMatching('containerd-shim', layoutOf(stateDir).containerd.socket)).toEqual([]);
    expect(processesMatching('/hp-echo')).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    const after = await clusterStatus({ stateDir });
    expect(Object.values(after.components).some((c) => c.running)).toBe(false);
    expect(after.nodeReady).toBe(false);
    expect(await clusterDown({ stateDir })).toEqual([]);

    const starting = performance.now();
    const again = await clusterUp({ stateDir });
    log(`up after down (binaries cached) took ${seconds(starting)}`);
    expect(again).toEqual(info);
    // etcd kept the namespace and the pods; the kubelet starts them again in new containers.
    await waitPodReady(api, namespace, 'echo-host', { replacing: oldContainer });
    expect(JSON.parse(await getText(`http://${NETWORK.nodeIp}:${hostPort}/back`))).toMatchObject({ path: '/back', message });
  }, 300_000);

  it('down still stops every pod process after containerd died (its shims and containers outlive it)', async () => {
    const status = await clusterStatus({ stateDir });
    const oldContainer = containerIdOf(await waitPodReady(api, namespace, 'echo-host'));
    const socket = layoutOf(stateDir).containerd.socket;
    const shimSockets = processesMatching('containerd-shim', socket).map((pid) => {
      const [, namespace, id] = / -namespace (\S+) -id (\S+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '))!;
      return `/run/containerd/s/${createHash('sha256').update(`${socket}/${namespace}/${id}`).digest('hex')}`;
    });
    expect(shimSockets.length).toBeGreaterThanOrEqual(2);
    for (const file of shimSockets) expect(existsSync(file), file).toBe(true);
    process.kill(status.components.containerd.pid!, 'SIGKILL');
    expect(processesMatching('/hp-echo').length).toBeGreaterThanOrEqual(2);

    await clusterDown({ stateDir });
    expect(processesMatching('containerd-shim', socket)).toEqual([]);
    for (const file of shimSockets) expect(existsSync(file), file).toBe(false);
    expect(processesMatching('/hp-echo')).toEqual([]);
    expect(processesMatching(stateDir)).toEqual([]);

    await clusterUp({ stateDir });
    await waitPodReady(api, namespace, 'echo-host', { replacing: oldContainer });
    expect(JSON.parse(await getText(`http://${NETWORK.nodeIp}:${hostPort}/again`))).toMatchObject({ path: '/again', message });
  }, 300_000);
});
