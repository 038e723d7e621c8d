/** Test workloads on the local cluster: the echo server as a pod (host network or pod network) and a Service in front of it. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from '../../../src/cluster/api.ts';
import { existsSync } from 'node:fs';
import { defaultStateDir, echoImage, layoutOf } from '../../../src/cluster/layout.ts';

/** The local cluster's kubeconfig, and why a test against it cannot run here (undefined: it can). */
export const localKubeconfig = layoutOf(defaultStateDir()).kubeconfig;
export const localClusterSkipReason: string | undefined =
  process.getuid?.() !== 0 ? 'not running as root: the local cluster needs it'
  : !existsSync(localKubeconfig) ? `the local cluster has no kubeconfig (${localKubeconfig}); run \`node bin/health-predict.mjs cluster up\``
  : undefined;

export async function createNamespace(api: ApiClient, name: string): Promise<void> {
  await api.json('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

export function deleteNamespace(api: ApiClient, name: string): Promise<unknown> {
  return api.request(`/api/v1/namespaces/${name}`, { method: 'DELETE' });
}

export interface EchoPod {
  name: string;
  port: number;
  message: string;
  hostNetwork: boolean;
  labels?: Record<string, string>;
}

export function echoPodManifest(pod: EchoPod): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, labels: pod.labels ?? { app: pod.name } },
    spec: {
      hostNetwork: pod.hostNetwork,
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'echo',
          image: echoImage,
          imagePullPolicy: 'Never',
          env: [
            { name: 'PORT', value: String(pod.port) },
            { name: 'MESSAGE', value: pod.message },
          ],
          ports: [{ containerPort: pod.port, name: 'http' }],
          readinessProbe: { httpGet: { path: '/ready', port: pod.port }, periodSeconds: 1 },
          securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false },
        },
      ],
    },
  };
}

interface PodView {
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { containerID?: string; state?: Record<string, unknown> }[] };
}

export const containerIdOf = (pod: PodView) => pod.status?.containerStatuses?.[0]?.containerID;

/**
 * Waits until the pod is Ready — with a container other than `replacing`, when given (after a node
 * restart the API still shows the old container as Ready until the kubelet reports again). On
 * timeout the error carries the pod's status and events.
 */
export async function waitPodReady(api: ApiClient, namespace: string, name: string, options: { timeoutMs?: number; replacing?: string } = {}): Promise<PodView> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let pod: PodView | undefined;
  while (Date.now() < deadline) {
    pod = await api.get<PodView>(`/api/v1/namespaces/${namespace}/pods/${name}`);
    const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (pod && ready && (options.replacing === undefined || containerIdOf(pod) !== options.replacing)) return pod;
    await sleep(500);
  }
  const events = await api.json<{ items: { reason?: string; message?: string }[] }>(`/api/v1/namespaces/${namespace}/events`).catch(() => ({ items: [] }));
  throw new Error(`Pod ${namespace}/${name} not Ready after ${timeoutMs / 1000} s. Status: ${JSON.stringify(pod?.status)}. Events: ${events.items.map((e) => `${e.reason}: ${e.message}`).join(' | ')}`);
}

/** Waits until the Service has a ready endpoint (the EndpointSlice controller in the controller manager publishes it). */
export async function waitServiceEndpoints(api: ApiClient, namespace: string, service: string, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const slices = await api.json<{ items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }>(
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`,
    );
    const ready = slices.items.flatMap((slice) => slice.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses);
    if (ready.length) return ready;
    await sleep(500);
  }
  throw new Error(`Service ${namespace}/${service} has no ready endpoint after ${timeoutMs / 1000} s.`);
}
