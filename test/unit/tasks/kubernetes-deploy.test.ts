/**
 * The deploy-path tasks against the real local cluster (kubelet + containerd), the real API
 * image pulled from the stack's registry with an imagePullSecret, and a real MLflow:
 *   (a) v1, then v2 with a load loop through the service proxy (zero failed requests) →
 *       verify → health check;
 *   (b) v3 whose /ready never succeeds → ProgressDeadlineExceeded → rollback → v2 serving,
 *       registry restored;
 *   (c) v4 that is ready but answers /predict with 500 → health check fails → rollback;
 *   (d) the rollback guard: a healthy Deployment is never undone; rollback_on_failure=false skips.
 * Tasks run in-process the way Airflow runs them (HP_INPUT in, last stdout line out).
 * Fault images are fixtures derived from the real image (test/unit/k8s/fault-image/).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HeldLock, holdClusterTestLock } from '../../harness/cluster-lock.ts';
import { clusterStatus, clusterUp, clusterDown, type ClusterInfo } from '../../../src/cluster/cluster.ts';
import { defaultStateDir } from '../../../src/cluster/layout.ts';
import { connectCluster, type Cluster } from '../../../src/k8s/client.ts';
import { ANNOTATIONS, failureRecordOf } from '../../../src/k8s/revision.ts';
import { promoteRunModel, PRODUCTION_ALIAS, PREVIOUS_ALIAS } from '../../../src/registry/promotion.ts';
import { ROLLBACK_TAG } from '../../../src/registry/production-history.ts';
import type { MlflowClient } from '../../../src/registry/index.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK, EXIT_SKIP } from '../../../src/runtime/contract.ts';
import deployTask from '../../../src/tasks/deploy-to-kubernetes.ts';
import healthCheckTask from '../../../src/tasks/post-deployment-health-check.ts';
import rollbackTask from '../../../src/tasks/rollback-deployment.ts';
import verifyTask from '../../../src/tasks/verify-deployment.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { client, unique } from '../registry/helpers.ts';
import { logModelRun } from './scenario-fixtures.ts';
import { runInMemory } from '../runtime/helpers.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { buildReleaseImages, createNamespace, createPullSecret, deleteNamespace, k8sSkipReason, loadLoop, type ReleaseImages } from '../k8s/k8s-fixture.ts';

const reason = k8sSkipReason(DOCKER_SKIP_REASON);

const log = (line: string) => console.log(`[k8s deploy test] ${line}`);
const DAG_ID = 'health_predict_continuous_improvement';
const DEPLOYMENT = 'hp-api';
const PULL_SECRET = 'registry-pull';

type Promotion = { model_name: string; version: string; previous_version: string | null; promoted_at: string; reused: boolean; source: string };
type Pushed = { repository_uri: string; image_ref: string; digest: string; tag: string; repository_created: boolean };

describeWithService(reason, 'deploy, verify, health check and rollback on the local cluster', () => {
  const services = useServices(['docker', 'registry', 'mlflow']);
  const stateDir = defaultStateDir();
  const namespace = `hp-deploy-test-${randomBytes(3).toString('hex')}`;
  const modelName = unique('hp-k8s-model');
  const savedEnv = { ...process.env };
  let wasRunning = false;
  let info: ClusterInfo;
  let cluster: Cluster;
  let images: ReleaseImages;
  let mlflow: MlflowClient;
  let experimentId: string;
  let dagRun = 0;

  const pushedOf = (version: string): Pushed => {
    const image = images.refs.get(version)!;
    return { repository_uri: image.reference.slice(0, image.reference.lastIndexOf(':')), image_ref: image.reference, digest: image.digest, tag: image.tag, repository_created: false };
  };

  async function promote(version: string): Promise<Promotion> {
    const run = await logModelRun(mlflow, experimentId, `v${version}`, readFileSync(images.fixture.onnxPath), images.fixture.metadata);
    const result = await promoteRunModel(mlflow, { modelName, runId: run.info.runId, artifactPath: 'model', audit: { dag_run_id: unique('manual__k8s') } });
    expect(result.version).toBe(version);
    return { model_name: result.modelName, version: result.version, previous_version: result.previousVersion, promoted_at: result.promotedAt, reused: result.reused, source: result.source };
  }

  async function runTask(task: Parameters<typeof runInMemory>[0], taskId: string, input: object) {
    const started = performance.now();
    const result = await runInMemory(task, { HP_DAG_ID: DAG_ID, HP_TASK_ID: taskId, HP_RUN_ID: `manual__k8s_${++dagRun}`, HP_TRY_NUMBER: '1', HP_INPUT: JSON.stringify(input) });
    const seconds = (performance.now() - started) / 1000;
    const errors = result.logs.filter((l) => l.level === 'error' || l.level === 50).map((l) => String(l.msg ?? l.error_message));
    log(`${taskId}: exit ${result.code} in ${seconds.toFixed(1)} s${errors.length ? ` — ${errors.join(' | ').slice(0, 600)}` : ''}`);
    return { ...result, seconds, output: result.code === EXIT_OK ? (JSON.parse(result.stdout.at(-1)!) as Record<string, any>) : undefined, errors };
  }

  async function servedVersion(): Promise<string> {
    const answer = await cluster.serviceProxy(namespace, DEPLOYMENT, 'http', '/model-info');
    expect(answer.status).toBe(200);
    return String((JSON.parse(answer.body) as { version: unknown }).version);
  }

  let clusterLock: HeldLock | undefined;
  beforeAll(async () => {
    clusterLock = await holdClusterTestLock();
    wasRunning = (await clusterStatus({ stateDir })).nodeReady;
    info = await clusterUp({ stateDir });
    Object.assign(process.env, {
      KUBECONFIG: info.kubeconfig,
      K8S_NAMESPACE: namespace,
      K8S_DEPLOYMENT: DEPLOYMENT,
      K8S_REPLICAS: '2',
      K8S_IMAGE_PULL_SECRET: PULL_SECRET,
      K8S_PROGRESS_DEADLINE_S: '25',
      K8S_ROLLOUT_TIMEOUT_S: '240',
      K8S_POLL_INTERVAL_MS: '500',
      HEALTH_CHECK_WINDOW_S: '8',
      HEALTH_CHECK_INTERVAL_MS: '100',
      HEALTH_CHECK_MIN_REQUESTS: '20',
      HEALTH_CHECK_P95_MS: '1500',
      HEALTH_CHECK_MAX_ERROR_RATE: '0.01',
      MLFLOW_TRACKING_URI: services.mlflowUri,
      MODEL_NAME: modelName,
    });
    cluster = connectCluster();
    await createNamespace(cluster, namespace);
    await createPullSecret(cluster, namespace, PULL_SECRET, services.registry);
    const started = performance.now();
    images = await buildReleaseImages({
      docker: connectDocker(services.dockerHost),
      registry: services.registry,
      modelName,
      repository: 'health-predict-api-k8s-test',
      specs: [{ version: '1' }, { version: '2' }, { version: '3', fault: 'never-ready' }, { version: '4', fault: 'predict-500' }],
      log,
    });
    log(`4 images built and pushed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    mlflow = client(services.mlflowUri);
    experimentId = (await mlflow.experiments.getOrCreate(unique('k8s-deploy'))).experimentId;
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

  it('(a) deploys v1, then rolls out v2 under load with zero failed requests, verifies it and passes the health check', async () => {
    const first = await runTask(deployTask, 'deploy_to_kubernetes', { promotion: await promote('1'), pushed: pushedOf('1') });
    expect(first.code, first.errors.join('\n')).toBe(EXIT_OK);
    expect(first.output).toMatchObject({ namespace, deployment: DEPLOYMENT, model_version: '1', previous: null, unchanged: false });
    expect((await runTask(verifyTask, 'verify_deployment', { deployment: first.output })).code).toBe(EXIT_OK);

    const promotion = await promote('2');
    const deploying = runTask(deployTask, 'deploy_to_kubernetes', { promotion, pushed: pushedOf('2') });
    const load = await loadLoop(cluster, { namespace, service: DEPLOYMENT }, deploying, { concurrency: 4, minRequests: 1000 });
    const second = await deploying;
    log(`rollout v1 → v2: ${second.output?.rollout_s} s; load loop: ${load.sent} requests in ${load.seconds.toFixed(1)} s, ${load.failed} failed, served by versions ${JSON.stringify(load.versions)}`);
    expect(second.code, second.errors.join('\n')).toBe(EXIT_OK);
    expect(second.output).toMatchObject({ model_version: '2', previous: { image: pushedOf('1').image_ref, model_version: '1' } });
    expect(load.sent).toBeGreaterThanOrEqual(1000);
    expect(load.failed, load.failures.join('\n')).toBe(0);
    expect(load.versions['2']).toBeGreaterThan(0);

    const verify = await runTask(verifyTask, 'verify_deployment', { deployment: second.output });
    expect(verify.code, verify.errors.join('\n')).toBe(EXIT_OK);
    expect(verify.output).toMatchObject({ health_status: 200, model_info: { name: modelName, version: '2' } });
    expect(verify.output!.ready_pods).toHaveLength(2);
    expect(verify.output!.endpoints).toHaveLength(2);

    const health = await runTask(healthCheckTask, 'post_deployment_health_check', { deployment: second.output });
    expect(health.code, health.errors.join('\n')).toBe(EXIT_OK);
    expect(health.output).toMatchObject({ passed: true, failed: 0 });
    expect(health.output!.requests).toBeGreaterThanOrEqual(20);
    log(`health check: ${health.output!.requests} probes, p95 /predict ${health.output!.predict_p95_ms} ms`);

    const deployment = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(deployment.spec!.strategy).toMatchObject({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(container.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(container.livenessProbe?.httpGet?.path).toBe('/health');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(deployment.spec!.template.spec!.imagePullSecrets).toEqual([{ name: PULL_SECRET }]);
    expect(deployment.metadata!.managedFields?.some((f) => f.manager === 'health-predict' && f.operation === 'Apply')).toBe(true);
  }, 600_000);

  it('(b) v3 never becomes ready: the rollout hits ProgressDeadlineExceeded, the rollback restores v2 and the registry', async () => {
    const promotion = await promote('3');
    const deploy = await runTask(deployTask, 'deploy_to_kubernetes', { promotion, pushed: pushedOf('3') });
    expect(deploy.code).toBe(EXIT_NON_RETRYABLE);
    expect(deploy.errors.join('\n')).toContain('exceeded its progress deadline');
    const marked = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    expect(failureRecordOf(marked)).toMatchObject({ stage: 'rollout', image: pushedOf('3').image_ref, model_version: '3' });
    expect(await servedVersion()).toBe('2'); // maxUnavailable 0: the old pods kept serving

    const rollback = await runTask(rollbackTask, 'rollback_deployment', { promotion, pushed: pushedOf('3'), channels: ['log'] });
    expect(rollback.code, rollback.errors.join('\n')).toBe(EXIT_OK);
    log(`rollback after ProgressDeadlineExceeded: detection → restored ${rollback.output!.detection_to_restored_s} s (undo rollout ${rollback.output!.cluster.undo_rollout_s} s)`);
    expect(rollback.output!.cluster).toMatchObject({ action: 'rolled_back', restored_model_version: '2', restored_image: pushedOf('2').image_ref, failure_stage: 'rollout' });
    expect(rollback.output!.registry).toEqual({ restored: '2', failed: '3' });
    expect(rollback.output!.detection_to_restored_s).toBeLessThan(60);
    expect(rollback.output!.notified).toEqual(['airflow']);
    expect(await servedVersion()).toBe('2');

    const model = await mlflow.models.get(modelName);
    expect(model!.aliases[PRODUCTION_ALIAS]).toBe('2');
    expect(model!.aliases[PREVIOUS_ALIAS]).toBeUndefined();
    const failed = await mlflow.models.getVersion(modelName, '3');
    expect(JSON.parse(failed.tags[ROLLBACK_TAG]!)).toMatchObject({ restored: '2' });
    const after = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    expect(after.spec!.template.metadata!.annotations![ANNOTATIONS.modelVersion]).toBe('2');
  }, 600_000);

  it('(c) v4 is ready but answers predictions with 500: verify passes, the health check fails, the rollback restores v2', async () => {
    const promotion = await promote('4');
    expect(promotion.previous_version).toBe('2');
    const deploy = await runTask(deployTask, 'deploy_to_kubernetes', { promotion, pushed: pushedOf('4') });
    expect(deploy.code, deploy.errors.join('\n')).toBe(EXIT_OK);
    log(`rollout v2 → v4 (predict-500): ${deploy.output!.rollout_s} s`);
    expect((await runTask(verifyTask, 'verify_deployment', { deployment: deploy.output })).code).toBe(EXIT_OK);
    const health = await runTask(healthCheckTask, 'post_deployment_health_check', { deployment: deploy.output });
    expect(health.code).toBe(EXIT_NON_RETRYABLE);
    expect(health.errors.join('\n')).toMatch(/error rate 50\.00 %/);

    const rollback = await runTask(rollbackTask, 'rollback_deployment', { promotion, pushed: pushedOf('4') });
    expect(rollback.code, rollback.errors.join('\n')).toBe(EXIT_OK);
    log(`rollback after failed health check: detection → restored ${rollback.output!.detection_to_restored_s} s (undo rollout ${rollback.output!.cluster.undo_rollout_s} s)`);
    expect(rollback.output!.cluster).toMatchObject({ action: 'rolled_back', restored_model_version: '2', failure_stage: 'health_check' });
    expect(rollback.output!.registry).toEqual({ restored: '2', failed: '4' });
    expect(rollback.output!.detection_to_restored_s).toBeLessThan(60);
    expect(await servedVersion()).toBe('2');
    const predicted = await cluster.serviceProxy(namespace, DEPLOYMENT, 'http', '/predict', { json: JSON.parse(JSON.stringify(images.fixture.records[0])) });
    expect(predicted.status).toBe(200);
  }, 600_000);

  it('(d) never undoes a Deployment that does not run the failed candidate; rollback_on_failure=false skips', async () => {
    const before = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    const promotion = { model_name: modelName, version: '4', previous_version: '2', promoted_at: new Date().toISOString(), reused: false, source: 'x' };
    const rollback = await runTask(rollbackTask, 'rollback_deployment', { promotion, pushed: pushedOf('4') });
    expect(rollback.code, rollback.errors.join('\n')).toBe(EXIT_OK);
    expect(rollback.output!.cluster).toMatchObject({ action: 'not_needed' });
    expect(rollback.output!.registry).toBeNull();
    const after = await cluster.apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    expect(after.metadata!.generation).toBe(before.metadata!.generation);
    expect(await servedVersion()).toBe('2');

    const skipped = await runTask(rollbackTask, 'rollback_deployment', { promotion, pushed: pushedOf('4'), rollback_on_failure: false });
    expect(skipped.code).toBe(EXIT_SKIP);
  }, 120_000);
});
