/**
 * Shared by test/unit/tasks/kubernetes-deploy.test.ts and bench/rollout.ts: the real API image for several
 * model versions (one trained fixture model, model-info.json rewritten per version), fault
 * images derived from it (fault-image/), all pushed to the stack's registry and pulled by the
 * cluster with an imagePullSecret, as from ECR; a namespace per run; and a load loop through
 * the API server's service proxy.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { binDir, binariesPresent } from '../../../src/cluster/build.ts';
import { tagAndPush } from '../../../src/ecr/push.ts';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { buildApiImage } from '../../../src/images/build.ts';
import { followJsonStream } from '../../../src/images/json-stream.ts';
import type { Cluster } from '../../../src/k8s/client.ts';
import { applyPullSecret } from '../../../src/k8s/pull-secret.ts';
import { probeRecords } from '../../../src/k8s/probe-records.ts';
import { type ApiFixture, buildApiFixture } from '../api/api-fixture.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');

/** Why the Kubernetes deploy tests cannot run here (undefined: they can). Same rules as the cluster tests. */
export function k8sSkipReason(dockerSkipReason: string | undefined): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root; the kubelet manages cgroups and mounts and containerd creates containers';
  if (!binariesPresent() && process.env.HP_CLUSTER_BUILD !== '1') {
    return `the cluster binaries are not built on this machine yet (${binDir()}); run \`node bin/health-predict.mjs cluster up\` once (30–50 min cold), or set HP_CLUSTER_BUILD=1`;
  }
  if (!binariesPresent() && spawnSync('go', ['version']).status !== 0) return `no cached cluster binaries and no Go toolchain to build them (${binDir()})`;
  if (dockerSkipReason) return dockerSkipReason;
  const python = process.env.HP_ML_PYTHON ?? path.join(ROOT, '.venv/ml/bin/python');
  if (!existsSync(python)) return `the ML Python environment is missing (${python}); run \`make setup\``;
  return undefined;
}

export type Fault = 'never-ready' | 'predict-500';

export interface ReleaseImageSpec {
  version: string;
  fault?: Fault;
}

export interface Registry {
  address: string;
  username: string;
  password: string;
}

export interface PushedImage {
  reference: string;
  digest: string;
  tag: string;
}

export interface ReleaseImages {
  /** version → the image in the registry (what the Deployment pulls). */
  refs: Map<string, PushedImage>;
  /** The trained fixture model the images serve (model.onnx, metadata.json). */
  fixture: ApiFixture;
  /** Local image references to remove at the end. */
  local: string[];
  cleanup(): void;
}

async function buildFaultImage(docker: Docker, base: string, fault: Fault, reference: string): Promise<void> {
  const stream = await docker.buildImage({ context: path.join(HERE, 'fault-image'), src: ['Dockerfile', 'fault.mjs'] }, { t: reference, buildargs: { BASE: base, FAULT: fault }, version: '2' });
  const result = await followJsonStream(stream);
  if (result.error) throw new Error(`building the ${fault} fault image from ${base} failed: ${result.error}`);
}

/** Builds (and pushes) one image per spec; fault images wrap the real image of the same version. */
export async function buildReleaseImages(options: { docker: Docker; registry: Registry; modelName: string; specs: ReleaseImageSpec[]; repository: string; log?: (line: string) => void }): Promise<ReleaseImages> {
  const { docker, registry, modelName } = options;
  const log = options.log ?? (() => {});
  const base = await ensureBaseImage({ docker });
  const fixture = buildApiFixture({ modelType: 'lr' });
  const refs = new Map<string, PushedImage>();
  const local: string[] = [];
  try {
    for (const spec of options.specs) {
      const started = performance.now();
      const dir = path.join(fixture.dir, `v${spec.version}`);
      cpSync(fixture.modelDir, dir, { recursive: true });
      writeFileSync(path.join(dir, 'model-info.json'), JSON.stringify({ name: modelName, version: spec.version, run_id: `k8s-test-run-${spec.version}` }));
      const built = await buildApiImage({ docker, model: { name: modelName, version: spec.version, runId: `k8s-test-run-${spec.version}`, dir }, baseImage: base.tag, repository: `${options.repository}-local` });
      local.push(built.reference);
      let image = built.reference;
      let tag = built.tag;
      if (spec.fault) {
        tag = `${built.tag}-${spec.fault}`;
        image = `${options.repository}-local:${tag}`;
        await buildFaultImage(docker, built.reference, spec.fault, image);
        local.push(image);
      }
      const pushed = await tagAndPush({ docker, image, repository: `${registry.address}/${options.repository}`, tag, login: registry });
      local.push(pushed.reference);
      refs.set(spec.version, { reference: pushed.reference, digest: pushed.digest, tag });
      log(`image v${spec.version}${spec.fault ? ` (${spec.fault})` : ''}: ${pushed.reference} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (error) {
    fixture.cleanup();
    throw error;
  }
  return {
    refs,
    fixture,
    local,
    cleanup: () => {
      fixture.cleanup();
      for (const reference of local) void docker.getImage(reference).remove({ force: true }).catch(() => {});
    },
  };
}

export async function createNamespace(cluster: Cluster, name: string): Promise<void> {
  await cluster.core.createNamespace({ body: { metadata: { name } } });
}

export async function deleteNamespace(cluster: Cluster, name: string): Promise<void> {
  await cluster.core.deleteNamespace({ name }).catch(() => undefined);
}

/** A kubernetes.io/dockerconfigjson Secret for the registry, as `health-predict cluster pull-secret` applies it. */
export async function createPullSecret(cluster: Cluster, namespace: string, name: string, registry: Registry): Promise<void> {
  const quiet = { info: () => {}, warn: () => {} };
  await applyPullSecret(cluster, { namespace, name, registry: { address: registry.address, username: registry.username, password: registry.password }, log: quiet });
}

export interface LoadResult {
  sent: number;
  failed: number;
  failures: string[];
  versions: Record<string, number>;
  seconds: number;
}

/**
 * Sends POST /predict through the service proxy with `concurrency` workers until `until`
 * resolves AND at least `minRequests` were sent. Every non-200 or network error counts as failed.
 */
export async function loadLoop(cluster: Cluster, target: { namespace: string; service: string }, until: Promise<unknown>, options: { concurrency?: number; minRequests?: number } = {}): Promise<LoadResult> {
  const records = probeRecords(32);
  const result: LoadResult = { sent: 0, failed: 0, failures: [], versions: {}, seconds: 0 };
  let done = false;
  void until.then(() => (done = true), () => (done = true));
  const started = performance.now();
  const worker = async () => {
    while (!done || result.sent < (options.minRequests ?? 0)) {
      const record = records[result.sent % records.length];
      result.sent++;
      try {
        const answer = await cluster.serviceProxy(target.namespace, target.service, 'http', '/predict', { json: record, timeoutMs: 10_000 });
        if (answer.status !== 200) {
          result.failed++;
          if (result.failures.length < 10) result.failures.push(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
        } else {
          const version = String((JSON.parse(answer.body) as { model_version?: unknown }).model_version);
          result.versions[version] = (result.versions[version] ?? 0) + 1;
        }
      } catch (error) {
        result.failed++;
        if (result.failures.length < 10) result.failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
