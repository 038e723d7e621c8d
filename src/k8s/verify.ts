/**
 * Is the release really serving? The Deployment's newest ReplicaSet (the one whose template
 * equals the Deployment's) has every pod Ready, the Service has ready endpoints in its
 * EndpointSlices and they are exactly those pods, and /health and /model-info through the API
 * server's service proxy answer with the expected model version.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';
import { type Cluster, call } from './client.ts';
import { VerificationError } from './errors.ts';
import { POD_TEMPLATE_HASH, equalIgnoreHash, ownedReplicaSets } from './undo.ts';

export interface VerifyTarget {
  namespace: string;
  deployment: string;
  service: string;
  /** Service port name or number for the proxy. */
  port?: string;
  expected: { modelName: string; modelVersion: string };
  requestTimeoutMs?: number;
  /** How long endpoints may take to catch up with Ready pods. */
  endpointsTimeoutMs?: number;
  pollIntervalMs?: number;
}

export const verifyResultSchema = z.object({
  replica_set: z.string(),
  ready_pods: z.array(z.string()),
  endpoints: z.array(z.string()),
  health_status: z.number().int(),
  model_info: z.object({ name: z.string(), version: z.string(), run_id: z.string().optional() }),
});
export type VerifyResult = z.infer<typeof verifyResultSchema>;

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && !pod.metadata?.deletionTimestamp;

/** deploymentutil.FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function newReplicaSet(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  return [...replicaSets]
    .sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0))
    .find((rs) => equalIgnoreHash(rs.spec?.template, deployment.spec?.template));
}

async function readyEndpoints(cluster: Cluster, namespace: string, service: string): Promise<string[]> {
  const slices = await call(`listing the EndpointSlices of service ${namespace}/${service}`, () =>
    cluster.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` }),
  );
  return slices.items.flatMap((slice) => slice.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses).sort();
}

export async function verifyDeployment(cluster: Cluster, target: VerifyTarget): Promise<VerifyResult> {
  const { namespace, deployment: name, service } = target;
  const where = `${namespace}/${name}`;
  const deployment = await call(`reading deployment ${where}`, () => cluster.apps.readNamespacedDeployment({ name, namespace }));
  const rs = newReplicaSet(deployment, await ownedReplicaSets(cluster, deployment));
  if (!rs) throw new VerificationError(`Deployment ${where} has no ReplicaSet for its current template; the rollout has not started. Run deploy_to_kubernetes first.`);
  const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH];
  const desired = deployment.spec?.replicas ?? 1;
  const pods = await call(`listing the pods of ${rs.metadata?.name}`, () => cluster.core.listNamespacedPod({ namespace, labelSelector: `${POD_TEMPLATE_HASH}=${hash}` }));
  const owned = pods.items.filter((pod) => pod.metadata?.ownerReferences?.some((ref) => ref.uid === rs.metadata?.uid) && !pod.metadata?.deletionTimestamp);
  const ready = owned.filter(isReady);
  if (ready.length < desired || ready.length !== owned.length) {
    const states = owned.map((pod) => `${pod.metadata?.name}: ${isReady(pod) ? 'Ready' : (pod.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? pod.status?.phase ?? 'not ready')}`);
    throw new VerificationError(`ReplicaSet ${rs.metadata?.name} of ${where} has ${ready.length} Ready pods of ${owned.length} (desired ${desired}): ${states.join('; ') || 'no pods'}.`);
  }
  const podIps = ready.map((pod) => pod.status?.podIP).filter((ip): ip is string => Boolean(ip)).sort();

  // The EndpointSlice controller publishes readiness (and the old pods' termination) a moment after the kubelet reports it.
  const deadline = performance.now() + (target.endpointsTimeoutMs ?? 30_000);
  let endpoints = await readyEndpoints(cluster, namespace, service);
  const settled = (ips: string[]) => podIps.every((ip) => ips.includes(ip)) && ips.every((ip) => podIps.includes(ip));
  while (!settled(endpoints) && performance.now() < deadline) {
    await sleep(target.pollIntervalMs ?? 500);
    endpoints = await readyEndpoints(cluster, namespace, service);
  }
  if (endpoints.length === 0) throw new VerificationError(`Service ${namespace}/${service} has no ready endpoints; its selector matches no Ready pod.`);
  const missing = podIps.filter((ip) => !endpoints.includes(ip));
  if (missing.length) throw new VerificationError(`Service ${namespace}/${service} does not route to the new pods ${missing.join(', ')} (ready endpoints: ${endpoints.join(', ')}).`);
  const stale = endpoints.filter((ip) => !podIps.includes(ip));
  if (stale.length) throw new VerificationError(`Service ${namespace}/${service} still routes to pods outside the new ReplicaSet (${stale.join(', ')}); the old release is still serving part of the traffic.`);

  const port = target.port ?? 'http';
  const proxy = (path: string) =>
    cluster.serviceProxy(namespace, service, port, path, { timeoutMs: target.requestTimeoutMs }).catch((error: Error) => {
      throw new VerificationError(`GET ${path} through the service proxy of ${namespace}/${service} failed: ${error.message}.`);
    });
  const health = await proxy('/health');
  if (health.status !== 200) throw new VerificationError(`GET /health through ${namespace}/${service} answered ${health.status}: ${health.body.slice(0, 300)}`);
  const info = await proxy('/model-info');
  if (info.status !== 200) throw new VerificationError(`GET /model-info through ${namespace}/${service} answered ${info.status}: ${info.body.slice(0, 300)}`);
  let body: { name?: unknown; version?: unknown; run_id?: unknown };
  try {
    body = JSON.parse(info.body) as typeof body;
  } catch {
    throw new VerificationError(`GET /model-info through ${namespace}/${service} answered non-JSON: ${info.body.slice(0, 200)}`);
  }
  const { modelName, modelVersion } = target.expected;
  if (String(body.name) !== modelName || String(body.version) !== modelVersion) {
    throw new VerificationError(`The service ${namespace}/${service} serves ${String(body.name)} v${String(body.version)}, not the registered ${modelName} v${modelVersion}.`);
  }
  return {
    replica_set: rs.metadata?.name ?? '',
    ready_pods: ready.map((pod) => pod.metadata?.name ?? ''),
    endpoints,
    health_status: health.status,
    model_info: { name: String(body.name), version: String(body.version), ...(body.run_id ? { run_id: String(body.run_id) } : {}) },
  };
}
