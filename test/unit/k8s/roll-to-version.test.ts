/**
 * A manual rollback to any deployed version on the real local cluster and a real MLflow:
 * deploy_to_kubernetes rolls out v1 then v2 and records each version's image; rollToVersion
 * puts v1's image back by server-side apply (verified: endpoints, /health, /model-info, a
 * /predict) and restoreVersion moves the aliases and writes the audit trail. An unknown
 * version, a version never deployed and an unreachable cluster are refused with nothing changed
 * in the registry or on the cluster.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HeldLock, holdClusterTestLock } from '../../harness/cluster-lock.ts';
import { clusterDown, clusterStatus, clusterUp, type ClusterInfo } from '../../../src/cluster/cluster.ts';
import { defaultStateDir } from '../../../src/cluster/layout.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { connectCluster, type Cluster } from '../../../src/k8s/client.ts';
import { k8sConfigFromEnv } from '../../../src/k8s/config.ts';
import { ClusterUnavailableError } from '../../../src/k8s/errors.ts';
import { ANNOTATIONS, previousRecordOf } from '../../../src/k8s/revision.ts';
import { rollToVersion, type RollToVersionTarget } from '../../../src/k8s/roll-to-version.ts';
import {
  DEPLOYED_TO_TAG,
  IMAGE_TAG,
  type MlflowClient,
  PREVIOUS_ALIAS,
  PRODUCTION_ALIAS,
  PromotionError,
  planRestoreVersion,
  promoteRunModel,
  readPeriods,
  readRollback,
  restoreVersion,
} from '../../../src/registry/index.ts';
import { EXIT_OK } from '../../../src/runtime/contract.ts';
import deployTask from '../../../src/tasks/deploy-to-kubernetes.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { client, unique } from '../registry/helpers.ts';
import { runInMemory } from '../runtime/helpers.ts';
import { logModelRun } from '../tasks/scenario-fixtures.ts';
import { buildReleaseImages, createNamespace, createPullSecret, deleteNamespace, k8sSkipReason, type ReleaseImages } from './k8s-fixture.ts';

const reason = k8sSkipReason(DOCKER_SKIP_REASON);
const log = (line: string) => console.log(`[k8s roll-to-version test] ${line}`);
const DEPLOYMENT = 'hp-api';
const PULL_SECRET = 'registry-pull';
const ROLLBACK_DAG = 'health_predict_rollback';
const quiet = { info: () => {}, warn: () => {} };

describeWithService(reason, 'roll production back to any deployed version on the local cluster', () => {
  const services = useServices(['docker', 'registry', 'mlflow']);
  const stateDir = defaultStateDir();
  const namespace = `hp-roll-test-${randomBytes(3).toString('hex')}`;
  const modelName = unique('hp-roll-model');
  const savedEnv = { ...process.env };
  let wasRunning = false;
  let info: ClusterInfo;
  let cluster: Cluster;
  let images: ReleaseImages;
  let mlflow: MlflowClient;
  let experimentId: string;
  let clusterLock: HeldLock | undefined;
  let dagRun = 0;

  const pushedOf = (version: string) => {
    const image = images.refs.get(version)!;
    return { repository_uri: image.reference.slice(0, image.reference.lastIndexOf(':')), image_ref: image.reference, digest: image.digest, tag: image.tag, repository_created: false };
  };
  const pinnedOf = (version: string) => `${images.refs.get(version)!.reference}@${images.refs.get(version)!.digest}`;

  async function registerRun(label: string) {
    return logModelRun(mlflow, experimentId, label, readFileSync(images.fixture.onnxPath), images.fixture.metadata);
  }

  async function promoteAndDeploy(version: string, attempts = 1) {
    const run = await registerRun(`v${version}`);
    const result = await promoteRunModel(mlflow, { modelName, runId: run.info.runId, artifactPath: 'model', audit: { dag_id: 'health_predict_continuous_improvement', dag_run_id: unique('manual__roll') } });
    expect(result.version).toBe(version);
    const promotion = { model_name: modelName, version, previous_version: result.previousVersion, promoted_at: result.promotedAt, reused: false, source: result.source };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const answer = await runInMemory(deployTask, { HP_DAG_ID: 'health_predict_continuous_improvement', HP_TASK_ID: 'deploy_to_kubernetes', HP_RUN_ID: `manual__roll_${++dagRun}`, HP_TRY_NUMBER: String(attempt), HP_INPUT: JSON.stringify({ promotion, pushed: pushedOf(version) }) });
      const errors = answer.logs.filter((l) => l.level === 'error').map((l) => String(l.msg));
      expect(answer.code, errors.join('\n')).toBe(EXIT_OK);
    }
  }

  function target(version: string, image = pinnedOf(version)): RollToVersionTarget {
    const config = k8sConfigFromEnv();
    return {
      namespace,
      deployment: DEPLOYMENT,
      service: config.service,
      image,
      modelName,
      modelVersion: version,
      manifestDir: config.manifestDir,
      replicas: config.replicas,
      progressDeadlineSeconds: config.progressDeadlineSeconds,
      imagePullSecret: PULL_SECRET,
      appliedBy: `${ROLLBACK_DAG}/manual__to_${version}`,
      rolloutTimeoutMs: config.rolloutTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      requestTimeoutMs: config.requestTimeoutMs,
      log: quiet,
    };
  }

  async function servedVersion(): Promise<string> {
    const answer = await cluster.serviceProxy(namespace, DEPLOYMENT, 'http', '/model-info');
    expect(answer.status).toBe(200);
    return String((JSON.parse(answer.body) as { version: unknown }).version);
  }

  /** What a refused rollback must leave as it was. */
  async function snapshot() {
    const deployment = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    const registered = await mlflow.models.get(modelName);
    const versions = await mlflow.models.searchAllVersions({ filter: `name = '${modelName}'` });
    return {
      generation: deployment.metadata!.generation,
      template: deployment.spec!.template,
      annotations: deployment.metadata!.annotations,
      aliases: registered!.aliases,
      tags: Object.fromEntries(versions.map((v) => [v.version, v.tags])),
    };
  }

  beforeAll(async () => {
    clusterLock = await holdClusterTestLock();
    wasRunning = (await clusterStatus({ stateDir })).nodeReady;
    info = await clusterUp({ stateDir });
    Object.assign(process.env, {
      KUBECONFIG: info.kubeconfig,
      K8S_NAMESPACE: namespace,
      K8S_DEPLOYMENT: DEPLOYMENT,
      K8S_REPLICAS: '1',
      K8S_IMAGE_PULL_SECRET: PULL_SECRET,
      K8S_PROGRESS_DEADLINE_S: '60',
      K8S_ROLLOUT_TIMEOUT_S: '240',
      K8S_POLL_INTERVAL_MS: '500',
      MLFLOW_TRACKING_URI: services.mlflowUri,
      MODEL_NAME: modelName,
    });
    cluster = connectCluster();
    await createNamespace(cluster, namespace);
    await createPullSecret(cluster, namespace, PULL_SECRET, services.registry);
    images = await buildReleaseImages({ docker: connectDocker(services.dockerHost), registry: services.registry, modelName, repository: 'health-predict-api-roll-test', specs: [{ version: '1' }, { version: '2' }], log });
    mlflow = client(services.mlflowUri);
    experimentId = (await mlflow.experiments.getOrCreate(unique('k8s-roll'))).experimentId;
  }, 1_800_000);

  afterAll(() => clusterLock?.release());

  afterAll(async () => {
    process.env = savedEnv;
    if (cluster) {
      await deleteNamespace(cluster, namespace);
      cluster.close();
    }
    images?.cleanup();
    if (info && !wasRunning) await clusterDown({ stateDir });
  }, 180_000);

  it('deploy_to_kubernetes records each version’s image pinned by digest and where it ran; a retried deploy writes the same', async () => {
    await promoteAndDeploy('1');
    await promoteAndDeploy('2', 2);
    for (const version of ['1', '2']) {
      const tags = (await mlflow.models.getVersion(modelName, version)).tags;
      expect(tags[IMAGE_TAG]).toBe(pinnedOf(version));
      expect(tags[IMAGE_TAG]).toMatch(/:[\w.-]+@sha256:[0-9a-f]{64}$/);
      expect(tags[DEPLOYED_TO_TAG]).toBe(`${namespace}/${DEPLOYMENT}`);
    }
    expect(await servedVersion()).toBe('2');
  }, 900_000);

  it('refuses an unknown version, a version never deployed and an unreachable cluster, with nothing changed', async () => {
    const run = await registerRun('never-deployed');
    const registered = await mlflow.models.createVersion({ name: modelName, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    await mlflow.models.waitUntilReady(modelName, registered.version);
    const before = await snapshot();
    const options = { reason: 'bad release', trigger: 'manual' as const, dagId: ROLLBACK_DAG, dagRunId: 'manual__refused' };

    await expect(planRestoreVersion(mlflow, modelName, '42', options)).rejects.toThrow(/has no such version/);
    await expect(restoreVersion(mlflow, modelName, '42', options)).rejects.toThrow(PromotionError);
    await expect(restoreVersion(mlflow, modelName, registered.version, options)).rejects.toThrow(/that version was never deployed/);

    // a kubeconfig whose API server is a closed port
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-unreachable-'));
    const kubeconfig = readFileSync(info.kubeconfig, 'utf8').replace(/("server":\s*"|server:\s*)https:\/\/[^\s"]+/g, `$1https://127.0.0.1:${closedPort}`);
    expect(kubeconfig.includes(`https://127.0.0.1:${closedPort}`), 'the kubeconfig names the closed port').toBe(true); // a boolean: the file holds credentials
    writeFileSync(path.join(dir, 'kubeconfig'), kubeconfig);
    process.env.KUBECONFIG = path.join(dir, 'kubeconfig');
    const unreachable = connectCluster();
    process.env.KUBECONFIG = info.kubeconfig;
    try {
      await expect(rollToVersion(unreachable, target('1'))).rejects.toThrow(ClusterUnavailableError);
      await expect(rollToVersion(unreachable, target('1'))).rejects.toThrow(/could not be reached while reading deployment .*Check that the cluster runs/);
    } finally {
      unreachable.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await snapshot()).toEqual(before);
    expect(await servedVersion()).toBe('2');
  }, 120_000);

  it('version 2 serving → roll to version 1: v1 serves and answers predictions, aliases moved, audit tags written; a repeat changes nothing', async () => {
    const options = { reason: 'v2 flags too many readmissions', trigger: 'manual' as const, dagId: ROLLBACK_DAG, dagRunId: 'manual__to_1' };
    const plan = await planRestoreVersion(mlflow, modelName, '1', options);
    expect(plan).toMatchObject({ restored: '1', replaced: '2', image: pinnedOf('1'), resumed: false });

    const rolled = await rollToVersion(cluster, target('1', plan.image));
    log(`roll v2 → v1: rollout ${rolled.rollout_s} s, /predict ${rolled.prediction.ms} ms`);
    expect(rolled).toMatchObject({ model_version: '1', image: pinnedOf('1'), unchanged: false, previous: { model_version: '2', image: pushedOf('2').image_ref }, prediction: { status: 200 } });
    expect(rolled.verification).toMatchObject({ health_status: 200, model_info: { name: modelName, version: '1' } });
    expect(await servedVersion()).toBe('1');
    const deployment = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    expect(deployment.spec!.template.metadata!.annotations![ANNOTATIONS.modelVersion]).toBe('1');
    expect(deployment.spec!.template.spec!.containers[0]!.image).toBe(pinnedOf('1'));
    expect(previousRecordOf(deployment)).toMatchObject({ model_version: '2' });

    const restored = await restoreVersion(mlflow, modelName, '1', options);
    expect(restored).toMatchObject({ restored: '1', replaced: '2', image: pinnedOf('1') });
    const registered = await mlflow.models.get(modelName);
    expect(registered!.aliases[PRODUCTION_ALIAS]).toBe('1');
    expect(registered!.aliases[PREVIOUS_ALIAS]).toBe('2');
    const replaced = await mlflow.models.getVersion(modelName, '2');
    expect(readRollback(replaced)).toEqual({ reason: options.reason, at: restored.at, restored: '1', trigger: 'manual', dag_id: ROLLBACK_DAG, dag_run_id: 'manual__to_1' });
    expect(readPeriods(replaced).at(-1)).toMatchObject({ to: restored.at });
    expect(readPeriods(await mlflow.models.getVersion(modelName, '1')).at(-1)).toEqual({ from: restored.at, to: null, reason: `rollback of version 2: ${options.reason}` });

    // an Airflow retry of both steps: the release is in place and the registry already moved
    const before = await snapshot();
    expect(await rollToVersion(cluster, target('1', plan.image))).toMatchObject({ unchanged: true, model_version: '1' });
    expect(await restoreVersion(mlflow, modelName, '1', options)).toEqual(restored);
    expect(await snapshot()).toEqual(before);
    expect(await servedVersion()).toBe('1');
  }, 600_000);
});
