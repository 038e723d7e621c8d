/**
 * Where everything of one local cluster lives, and the fixed network plan. Every path is derived
 * from the state directory, so `cluster down` knows exactly what it owns.
 */
import path from 'node:path';
import { machineCacheDir } from '../host/machine-cache.ts';
import { REPO_ROOT } from '../host/repo-root.ts';

/** `HP_CLUSTER_DIR` when set, else `<repo>/.cluster`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HP_CLUSTER_DIR ? path.resolve(env.HP_CLUSTER_DIR) : path.join(REPO_ROOT, '.cluster');
}

/**
 * Where built binaries are cached on the machine (never in the repo): `HP_CLUSTER_CACHE`, else
 * `<machine cache>/k8s` with the machine cache `HP_CACHE_DIR`, `$XDG_CACHE_HOME/health-predict` or
 * `~/.cache/health-predict`. Binaries go to `<cache>/<k8s version>/bin`.
 */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HP_CLUSTER_CACHE) return path.resolve(env.HP_CLUSTER_CACHE);
  return path.join(machineCacheDir(env), 'k8s');
}

/**
 * The network plan. The kubelet refuses a loopback node IP, so the node gets an address on a
 * dummy interface; pods get addresses on a CNI bridge. There is no kube-proxy, so nothing routes
 * service ClusterIPs — except the `kubernetes` Service's (apiServiceIp:443 → the API server on the
 * node IP, host.ts routeApiService), so pods use in-cluster config as on any cluster. Reach
 * workloads through the API server's proxy or a port-forward.
 */
export const NETWORK = {
  nodeName: 'hp-node',
  dummyInterface: 'hpk8s0',
  nodeIp: '10.254.254.1',
  bridge: 'hpcni0',
  podCidr: '10.244.0.0/24',
  podGateway: '10.244.0.1',
  serviceCidr: '10.96.0.0/16',
  apiServiceIp: '10.96.0.1',
  /** Pod network name in the CNI config (and host-local's allocation directory). */
  cniNetwork: 'health-predict',
} as const;

export const sandboxImage = 'registry.k8s.io/pause:3.10';
export const echoImage = 'localhost/health-predict/echo:dev';

export type Layout = ReturnType<typeof layoutOf>;

export function layoutOf(stateDir: string) {
  const at = (...parts: string[]) => path.join(stateDir, ...parts);
  return {
    stateDir,
    stateFile: at('cluster.json'),
    logs: at('logs'),
    log: (component: string) => at('logs', `${component}.log`),
    pki: at('pki'),
    cert: (name: string) => at('pki', `${name}.crt`),
    key: (name: string) => at('pki', `${name}.key`),
    /** The admin kubeconfig for users, tests and the deploy tasks. */
    kubeconfig: at('kubeconfig'),
    componentKubeconfig: (component: string) => at('kubeconfigs', `${component}.kubeconfig`),
    etcdData: at('etcd'),
    containerd: {
      dir: at('containerd'),
      config: at('containerd', 'config.toml'),
      root: at('containerd', 'root'),
      state: at('containerd', 'state'),
      socket: at('containerd', 'containerd.sock'),
      hostsDir: at('containerd', 'certs.d'),
    },
    cni: { confDir: at('cni', 'net.d'), dataDir: at('cni', 'networks') },
    kubelet: { root: at('kubelet'), config: at('kubelet-config.json'), certDir: at('kubelet', 'pki'), podLogs: at('pod-logs') },
    schedulerConfig: at('scheduler-config.json'),
    images: at('images'),
  };
}
