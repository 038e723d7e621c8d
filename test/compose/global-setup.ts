/**
 * The compose lane's platform: `health-predict airflow up` as a user runs it, under its own
 * project name, ports, secrets file and dockerd (a private stack dir; the image store is the
 * machine's shared one, so the images stay cached), with test-sized training and a Slack sink.
 * Teardown runs `down --volumes` and stops the dockerd it started.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { clusterStatus } from '../../src/cluster/index.ts';
import { REPO_ROOT } from '../../src/host/repo-root.ts';
import { composeArgs } from '../../src/platform/compose.ts';
import { parseEnvFile } from '../../src/platform/env-file.ts';
import { platformContext, platformDown, platformUp } from '../../src/platform/platform.ts';
import { dockerUnavailableReason } from '../../src/stack/index.ts';
import { startHttpSink } from '../unit/notify/sinks.ts';
import type { PlatformUnderTest } from './context.ts';

export const PROJECT = 'hp-compose-test';
/** Ports of their own, so a user's `make up` platform (8080, 5010…) may run beside the lane. */
const PORTS = {
  AIRFLOW_PORT: '18080',
  POSTGRES_PORT: '15433',
  MLFLOW_PORT: '15010',
  S3_PORT: '15011',
  REGISTRY_PORT: '15012',
  REGISTRY_DEBUG_PORT: '15013',
  SCHEDULER_HEALTH_PORT: '18974',
  WORKER_LOG_SERVER_PORT: '18793',
  TRIGGER_LOG_SERVER_PORT: '18794',
};
/** Test-sized runs: synthetic rows, two models, two HPO samples of two epochs; a killed task is noticed in 30 s; drift checked every minute. */
const TUNING = {
  TRAINING_MODEL_TYPES: 'lr,xgb',
  RAY_NUM_SAMPLES: '2',
  RAY_MAX_EPOCHS: '2',
  RAY_GRACE_PERIOD: '1',
  MIN_SAMPLE_SIZE: '200',
  TASK_HEARTBEAT_TIMEOUT_S: '30',
  HEALTH_CHECK_WINDOW_S: '10',
  HP_SYNTHETIC_ROWS: '10000',
  MLFLOW_EXPERIMENT_NAME: 'health-predict-compose-test',
  // Drift monitoring every minute instead of every 3 hours, as a deployment overrides it (25-drift).
  DRIFT_MONITORING_SCHEDULE: '* * * * *',
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stackDir = mkdtempSync(path.join(os.tmpdir(), 'hpc-'));
  const skip = dockerUnavailableReason(stackDir);
  if (skip) {
    rmSync(stackDir, { recursive: true, force: true });
    project.provide('platformSkip', skip);
    return async () => {};
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'hp-compose-'));
  const envFile = path.join(work, '.env');
  const stateDir = path.join(work, 'platform');
  const screenshotsDir = path.join(REPO_ROOT, 'test-results', 'compose');
  mkdirSync(screenshotsDir, { recursive: true });
  const secretPath = `/services/T0TEST/B0TEST/${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const sink = await startHttpSink([{ status: 200 }], secretPath, '/received');
  const sinkOrigin = new URL(sink.url).origin;
  const cluster = await clusterStatus({});
  const namespace = `hp-compose-${process.pid}`;
  const env = {
    ...PORTS,
    ...TUNING,
    SLACK_WEBHOOK_URL: sink.url,
  };
  const options = {
    project: PROJECT,
    envFile,
    stateDir,
    stackDir,
    namespace,
    rawDataDir: path.join(REPO_ROOT, 'airflow', 'no-raw-data'),
    extraFiles: ['test/compose/compose.test.yml'],
    env,
    onProgress: (line: string) => console.error(`[compose lane] ${line}`),
  };
  const teardown = async () => {
    try {
      await platformDown({ ...options, volumes: true });
      if (cluster.kubeconfig && cluster.kubectl) {
        spawnSync(cluster.kubectl, ['--kubeconfig', cluster.kubeconfig, 'delete', 'namespace', namespace, '--wait=false', '--ignore-not-found'], { timeout: 60_000 });
      }
    } finally {
      await sink.close();
      rmSync(work, { recursive: true, force: true });
      rmSync(stackDir, { recursive: true, force: true });
    }
  };
  try {
    const info = await platformUp({ ...options, timeoutMs: 15 * 60_000 });
    const context = await platformContext(options);
    const secrets = { ...parseEnvFile(readFileSync(envFile, 'utf8')), SLACK_WEBHOOK_URL: env.SLACK_WEBHOOK_URL };
    const platform: PlatformUnderTest = {
      url: `http://127.0.0.1:${PORTS.AIRFLOW_PORT}`,
      username: info.username,
      password: info.password,
      project: PROJECT,
      screenshotsDir,
      dockerHost: info.dockerHost,
      mlflowUrl: `http://127.0.0.1:${PORTS.MLFLOW_PORT}`,
      s3Endpoint: `http://127.0.0.1:${PORTS.S3_PORT}`,
      deploy: info.deploys.kubernetes && cluster.kubeconfig && cluster.kubectl
        ? { target: 'kubernetes', namespace, kubectl: [cluster.kubectl, '--kubeconfig', cluster.kubeconfig, '--namespace', namespace] }
        : { target: 'ecr', reason: info.deploys.kubernetes ? 'no kubeconfig' : info.deploys.reason },
      webhookUrl: env.SLACK_WEBHOOK_URL,
      webhookReceived: `${sinkOrigin}/received`,
      secrets,
      compose: [context.target.binary, ...composeArgs(context.target, [])],
      composeEnv: Object.fromEntries(Object.entries(context.target.env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    };
    project.provide('platform', platform);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
