/**
 * Rollout benchmark on the local cluster (or any cluster in KUBECONFIG with the local registry
 * reachable from it). Prints one JSON object:
 *   rollout_s        v1 → v2 rolling update (apply → kubectl-style rollout complete), 2 replicas
 *   requests_sent    POST /predict through the API server's service proxy during that rollout (≥ 1000)
 *   failed_requests  of those, non-200 or network errors (zero-downtime target: 0)
 *   rollback_s       a v3 whose /ready never succeeds hits its progress deadline; time from that
 *                    detection to v2 verified serving again after the kubectl-style undo
 *   details          the undo's own rollout time, the deadline, the versions that answered
 *
 *   npm run bench:rollout [-- --progress-deadline 20 --replicas 2]
 *
 * Same images as test/unit/tasks/kubernetes-deploy.test.ts (real API image, fault image derived from it),
 * pushed to the stack's registry and pulled with an imagePullSecret. Services: the running
 * stack in .stack when it has docker + registry, else a temporary one stopped at the end;
 * the cluster: `cluster up` (stopped again if it was not running). Skips with {"skipped": reason}
 * when the cluster binaries are not cached (or dockerd / the ML environment is missing).
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { clusterDown, clusterStatus, clusterUp } from '../src/cluster/cluster.ts';
import { refuseOtherCluster } from '../src/cluster/host.ts';
import { defaultStateDir as clusterStateDir } from '../src/cluster/layout.ts';
import { exitAfterCleanup, onCleanup, tempDir } from '../src/host/cleanup.ts';
import { connectDocker } from '../src/images/docker.ts';
import { applyRelease, connectCluster, recordFailure, RolloutFailedError, rollbackCluster, waitForRollout } from '../src/k8s/index.ts';
import { defaultStateDir, dockerUnavailableReason, readRegistryCredentials, stackDown, stackStatus, stackUp, type ServiceName } from '../src/stack/index.ts';
import { buildReleaseImages, createNamespace, createPullSecret, deleteNamespace, k8sSkipReason, loadLoop } from '../test/unit/k8s/k8s-fixture.ts';

const args = z
  .object({ 'progress-deadline': z.coerce.number().int().positive().default(20), replicas: z.coerce.number().int().min(1).default(2), 'min-requests': z.coerce.number().int().positive().default(1000) })
  .parse(Object.fromEntries(process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2).split('=')[0], arg.includes('=') ? arg.split('=')[1] : all[i + 1]]] : []))));

const say = (line: string) => process.stderr.write(`[bench:rollout] ${line}\n`);
const SERVICES: ServiceName[] = ['docker', 'registry'];

/**
 * What it starts (a temporary stack, the cluster when it was not up, a namespace, images) is
 * on the cleanup stack, undone however the benchmark ends; the checks that refuse come first.
 */
async function main(): Promise<object> {
  // mkdtemp's name has this length: the unix socket paths under it are checked before it exists.
  const skip = k8sSkipReason(dockerUnavailableReason(path.join(os.tmpdir(), 'hp-bench-rollout-XXXXXX')));
  if (skip) return { skipped: skip };
  const clusterDir = clusterStateDir();
  refuseOtherCluster(clusterDir);
  const running = await stackStatus({ stateDir: defaultStateDir(), services: SERVICES }).catch(() => undefined);
  const reuse = running !== undefined && SERVICES.every((name) => running.services[name].healthy);
  const stateDir = reuse ? defaultStateDir() : tempDir('hp-bench-rollout-').path;
  let stack: { dockerHost?: string; registryUrl?: string };
  if (reuse) stack = { dockerHost: running!.services.docker.url, registryUrl: running!.services.registry.url };
  else {
    stack = await stackUp({ stateDir, services: SERVICES, ports: { registry: 0 } });
    onCleanup({ name: `the temporary stack in ${stateDir}`, dispose: () => stackDown({ stateDir, services: SERVICES }) });
  }
  const clusterWasUp = (await clusterStatus({ stateDir: clusterDir })).nodeReady;
  const info = await clusterUp({ stateDir: clusterDir });
  if (!clusterWasUp) onCleanup({ name: `the local cluster in ${clusterDir}`, timeoutMs: 180_000, dispose: () => clusterDown({ stateDir: clusterDir }) });
  process.env.KUBECONFIG = info.kubeconfig;
  const cluster = connectCluster();
  onCleanup({ name: 'the cluster connection', dispose: () => cluster.close() });
  const namespace = `hp-bench-rollout-${Date.now().toString(36)}`;
  const credentials = readRegistryCredentials(stateDir)!;
  const registry = { address: new URL(stack.registryUrl!).host, ...credentials };
  const modelName = 'health-predict-bench';
  const docker = connectDocker(stack.dockerHost);
  const log = { info: (_: object, msg: string) => say(msg), warn: (_: object, msg: string) => say(`warning: ${msg}`) };
  await createNamespace(cluster, namespace);
  onCleanup({ name: `the namespace ${namespace}`, dispose: () => deleteNamespace(cluster, namespace) });
  await createPullSecret(cluster, namespace, 'registry-pull', registry);
  const images = await buildReleaseImages({ docker, registry, modelName, repository: 'health-predict-api-bench', specs: [{ version: '1' }, { version: '2' }, { version: '3', fault: 'never-ready' }], log: say });
  onCleanup({ name: 'the release images', dispose: () => images.cleanup() });
  const release = (version: string) => ({
    namespace,
    deployment: 'hp-api',
    service: 'hp-api',
    image: images.refs.get(version)!.reference,
    replicas: args.replicas,
    progressDeadlineSeconds: args['progress-deadline'],
    imagePullSecret: 'registry-pull',
    model: { name: modelName, version },
  });
  const manifestDir = path.resolve(import.meta.dirname, '../deploy/k8s');
  const rollout = () => waitForRollout(cluster, { namespace, name: 'hp-api', timeoutMs: 300_000, pollIntervalMs: 250, log });

  await applyRelease(cluster, { manifestDir, release: release('1'), log });
  await rollout();

  const started = performance.now();
  await applyRelease(cluster, { manifestDir, release: release('2'), log });
  const rolling = rollout().then(() => performance.now());
  const load = await loadLoop(cluster, { namespace, service: 'hp-api' }, rolling, { concurrency: 4, minRequests: args['min-requests'] });
  const rolloutS = ((await rolling) - started) / 1000;

  await applyRelease(cluster, { manifestDir, release: release('3'), log });
  const failure = await rollout().then(
    () => undefined,
    (error: unknown) => (error instanceof RolloutFailedError ? error : Promise.reject(error)),
  );
  if (!failure) throw new Error('the never-ready release rolled out; the fault image is broken');
  await recordFailure(cluster, namespace, 'hp-api', { stage: 'rollout', reason: failure.message, image: release('3').image, modelVersion: '3' });
  const rollback = await rollbackCluster(cluster, { namespace, deployment: 'hp-api', service: 'hp-api', modelName, candidate: { image: release('3').image, modelVersion: '3' }, rolloutTimeoutMs: 300_000, pollIntervalMs: 250, log });
  if (rollback.action !== 'rolled_back' || rollback.restored_model_version !== '2') throw new Error(`rollback did not restore v2: ${JSON.stringify(rollback)}`);
  return {
    rollout_s: Number(rolloutS.toFixed(2)),
    rollback_s: rollback.detection_to_restored_s,
    failed_requests: load.failed,
    requests_sent: load.sent,
    details: {
      replicas: args.replicas,
      progress_deadline_s: args['progress-deadline'],
      undo_rollout_s: rollback.undo_rollout_s,
      load_seconds: Number(load.seconds.toFixed(2)),
      answered_by_version: load.versions,
      failures: load.failures,
      cluster: info.server,
    },
  };
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return exitAfterCleanup(0);
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return exitAfterCleanup(1);
  },
);
