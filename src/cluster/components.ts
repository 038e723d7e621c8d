/**
 * The node's processes, in start order: how to launch each one and how to tell it is healthy.
 * Every command line names the state directory, which is how `down` recognises its own processes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { identityOf, probeHttps } from './api.ts';
import { containerdAnswers } from './containerd.ts';
import { type Layout, NETWORK } from './layout.ts';
import { serviceAccountPublicKey } from './pki.ts';

export const COMPONENT_NAMES = ['containerd', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface Ports {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kubelet: number;
  kubeletHealthz: number;
}

/** Preferred ports; a taken one is replaced by a free port at the first `up` and then kept. */
export const DEFAULT_PORTS: Ports = { etcd: 12379, etcdPeer: 12380, apiserver: 6443, controllerManager: 10257, scheduler: 10259, kubelet: 10250, kubeletHealthz: 10248 };

export interface ComponentContext {
  layout: Layout;
  /** Directory of the built binaries. */
  bin: string;
  ports: Ports;
}

export interface ComponentSpec {
  name: ComponentName;
  command: (ctx: ComponentContext) => string;
  args: (ctx: ComponentContext) => string[];
  healthy: (ctx: ComponentContext) => Promise<boolean>;
  /** What the health check looks at, for status output. */
  endpoint: (ctx: ComponentContext) => string;
  startTimeoutMs: number;
}

export const apiServerUrl = (ports: Ports) => `https://127.0.0.1:${ports.apiserver}`;
const ok = (body: string) => body.trim() === 'ok';

export function writeKubeletConfig(ctx: ComponentContext): void {
  const { layout, ports } = ctx;
  const config = {
    kind: 'KubeletConfiguration',
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    address: NETWORK.nodeIp,
    port: ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: ports.kubeletHealthz,
    tlsCertFile: layout.cert('kubelet-serving'),
    tlsPrivateKeyFile: layout.key('kubelet-serving'),
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: layout.cert('ca') } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${layout.containerd.socket}`,
    cgroupDriver: 'cgroupfs',
    // This machine runs cgroup v1 and has no swap accounting worth failing over.
    failCgroupV1: false,
    failSwapOn: false,
    clusterDomain: 'cluster.local',
    resolvConf: '/etc/resolv.conf',
    podCIDR: NETWORK.podCidr,
    maxPods: 60,
    podLogsDir: layout.kubelet.podLogs,
    volumePluginDir: path.join(layout.kubelet.root, 'volume-plugins'),
    // A shared development machine: evict only when truly out of resources, never garbage-collect imported images.
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    registerNode: true,
    logging: { format: 'text' },
  };
  writeFileSync(layout.kubelet.config, `${JSON.stringify(config, null, 2)}\n`);
}

export function writeSchedulerConfig(ctx: ComponentContext): void {
  const config = {
    apiVersion: 'kubescheduler.config.k8s.io/v1',
    kind: 'KubeSchedulerConfiguration',
    clientConnection: { kubeconfig: ctx.layout.componentKubeconfig('scheduler') },
    leaderElection: { leaderElect: false },
  };
  writeFileSync(ctx.layout.schedulerConfig, `${JSON.stringify(config, null, 2)}\n`);
}

/** The controller manager and the scheduler serve /healthz with a certificate they make themselves: the probe does not verify it. */
const selfSignedHealthz = (port: (ports: Ports) => number): Pick<ComponentSpec, 'healthy' | 'endpoint'> => {
  const url = (ports: Ports) => `https://127.0.0.1:${port(ports)}/healthz`;
  return { healthy: ({ ports }) => probeHttps(url(ports), { insecure: true }, ok), endpoint: ({ ports }) => url(ports) };
};

/** Their secure port on localhost; who may call it, they ask the API server through their kubeconfig. */
const delegatedServingArgs = (layout: Layout, kubeconfig: string, port: number, servingCertDir: string): string[] => [
  `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
  '--bind-address=127.0.0.1', `--secure-port=${port}`, `--cert-dir=${path.join(layout.pki, servingCertDir)}`,
];

export const COMPONENTS: Record<ComponentName, ComponentSpec> = {
  containerd: {
    name: 'containerd',
    command: () => 'containerd',
    args: ({ layout }) => ['--config', layout.containerd.config],
    healthy: ({ layout }) => containerdAnswers(layout),
    endpoint: ({ layout }) => `unix://${layout.containerd.socket}`,
    startTimeoutMs: 30_000,
  },
  etcd: {
    name: 'etcd',
    command: ({ bin }) => path.join(bin, 'etcd'),
    args: ({ layout, ports }) => {
      const client = `https://127.0.0.1:${ports.etcd}`;
      const peer = `http://127.0.0.1:${ports.etcdPeer}`;
      return [
        '--name=hp-etcd', `--data-dir=${layout.etcdData}`,
        `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=hp-etcd=${peer}`,
        `--cert-file=${layout.cert('etcd-server')}`, `--key-file=${layout.key('etcd-server')}`,
        '--client-cert-auth=true', `--trusted-ca-file=${layout.cert('ca')}`,
        // A throwaway development cluster: durability is not worth the disk latency.
        '--unsafe-no-fsync=true', '--log-level=warn',
      ];
    },
    healthy: ({ layout, ports }) => probeHttps(`https://127.0.0.1:${ports.etcd}/readyz`, identityOf(layout, 'apiserver-etcd-client'), ok),
    endpoint: ({ ports }) => `https://127.0.0.1:${ports.etcd}/readyz`,
    startTimeoutMs: 60_000,
  },
  'kube-apiserver': {
    name: 'kube-apiserver',
    command: ({ bin }) => path.join(bin, 'kube-apiserver'),
    args: ({ layout, ports }) => [
      `--advertise-address=${NETWORK.nodeIp}`, '--bind-address=0.0.0.0', `--secure-port=${ports.apiserver}`,
      `--etcd-servers=https://127.0.0.1:${ports.etcd}`, `--etcd-cafile=${layout.cert('ca')}`,
      `--etcd-certfile=${layout.cert('apiserver-etcd-client')}`, `--etcd-keyfile=${layout.key('apiserver-etcd-client')}`,
      `--client-ca-file=${layout.cert('ca')}`, `--tls-cert-file=${layout.cert('apiserver')}`, `--tls-private-key-file=${layout.key('apiserver')}`,
      `--kubelet-client-certificate=${layout.cert('apiserver-kubelet-client')}`, `--kubelet-client-key=${layout.key('apiserver-kubelet-client')}`,
      `--kubelet-certificate-authority=${layout.cert('ca')}`, '--kubelet-preferred-address-types=InternalIP,Hostname',
      '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${serviceAccountPublicKey(layout)}`, `--service-account-signing-key-file=${layout.key('service-account')}`,
      `--service-cluster-ip-range=${NETWORK.serviceCidr}`,
      // No kube-proxy and one API server: nothing may route to the `kubernetes` service's endpoints.
      '--endpoint-reconciler-type=none', '--profiling=false',
    ],
    healthy: ({ layout, ports }) => probeHttps(`${apiServerUrl(ports)}/readyz`, identityOf(layout, 'admin'), ok),
    endpoint: ({ ports }) => `${apiServerUrl(ports)}/readyz`,
    startTimeoutMs: 120_000,
  },
  'kube-controller-manager': {
    name: 'kube-controller-manager',
    command: ({ bin }) => path.join(bin, 'kube-controller-manager'),
    args: ({ layout, ports }) => {
      const kubeconfig = layout.componentKubeconfig('controller-manager');
      return [
        `--kubeconfig=${kubeconfig}`, ...delegatedServingArgs(layout, kubeconfig, ports.controllerManager, 'controller-manager-serving'),
        '--leader-elect=false', '--use-service-account-credentials=true',
        `--root-ca-file=${layout.cert('ca')}`, `--service-account-private-key-file=${layout.key('service-account')}`,
        `--cluster-signing-cert-file=${layout.cert('ca')}`, `--cluster-signing-key-file=${layout.key('ca')}`,
        `--service-cluster-ip-range=${NETWORK.serviceCidr}`, '--profiling=false',
      ];
    },
    ...selfSignedHealthz((ports) => ports.controllerManager),
    startTimeoutMs: 90_000,
  },
  'kube-scheduler': {
    name: 'kube-scheduler',
    command: ({ bin }) => path.join(bin, 'kube-scheduler'),
    args: ({ layout, ports }) => {
      const kubeconfig = layout.componentKubeconfig('scheduler');
      return [`--config=${layout.schedulerConfig}`, ...delegatedServingArgs(layout, kubeconfig, ports.scheduler, 'scheduler-serving'), '--profiling=false'];
    },
    ...selfSignedHealthz((ports) => ports.scheduler),
    startTimeoutMs: 90_000,
  },
  kubelet: {
    name: 'kubelet',
    command: ({ bin }) => path.join(bin, 'kubelet'),
    args: ({ layout }) => [
      `--config=${layout.kubelet.config}`, `--kubeconfig=${layout.componentKubeconfig('kubelet')}`,
      `--root-dir=${layout.kubelet.root}`, `--cert-dir=${layout.kubelet.certDir}`,
      `--node-ip=${NETWORK.nodeIp}`, `--hostname-override=${NETWORK.nodeName}`,
    ],
    healthy: async ({ ports }) => {
      try {
        const response = await fetch(`http://127.0.0.1:${ports.kubeletHealthz}/healthz`, { signal: AbortSignal.timeout(3_000) });
        return response.status === 200 && ok(await response.text());
      } catch {
        return false;
      }
    },
    endpoint: ({ ports }) => `http://127.0.0.1:${ports.kubeletHealthz}/healthz`,
    startTimeoutMs: 90_000,
  },
};
