/**
 * The pipeline on the compose platform, as a user runs it from the UI or REST API with the DAG's
 * defaults (the raw data bucket the platform seeds): the first run deploys, the second skips.
 *
 * Faults, on the same two runs: the second trigger arrives while the first runs and stays queued
 * (max_active_runs 1); the scheduler container (which runs the tasks: LocalExecutor) is SIGKILLed
 * while the first run trains, then started again — the run still ends correctly, with exactly one
 * new model version in the registry.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, expect, inject, it } from 'vitest';
import { describeWithService } from '../harness/skip.ts';
import { AirflowApi } from './airflow-api.ts';
import { composeSync } from './compose-cli.ts';
import './context.ts';

const DAG = 'health_predict_continuous_improvement';
const MODEL = 'health-predict-readmission';
const DEPLOY_PATH = ['register_and_promote_model', 'build_api_image', 'test_api_locally', 'push_to_ecr'];
const CLUSTER_PATH = ['deploy_to_kubernetes', 'verify_deployment', 'post_deployment_health_check'];

describeWithService(inject('platformSkip'), 'compose Airflow: the pipeline deploys, then skips', () => {
  const platform = inject('platform');
  const api = new AirflowApi(platform);
  const conf = { deploy_target: platform.deploy.target, notification_channels: ['airflow', 'slack'] };

  const mlflow = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${platform.mlflowUrl}/api/2.0/mlflow/${path}`);
    if (!response.ok) throw new Error(`MLflow ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const versions = async () => (await mlflow<{ model_versions?: { version: string; run_id: string }[] }>(`model-versions/search?filter=${encodeURIComponent(`name='${MODEL}'`)}`)).model_versions ?? [];
  const production = async () => (await mlflow<{ model_version: { version: string } }>(`registered-models/alias?name=${MODEL}&alias=production`)).model_version.version;
  const compose = (...args: string[]) => {
    const done = composeSync(platform, args);
    if (done.status !== 0) throw new Error(`docker compose ${args.join(' ')}: ${done.stderr}`);
    return done.stdout;
  };

  let first = '';
  let second = '';
  let secondWhileFirstRan = '';
  let trainingTries = 0;

  beforeAll(async () => {
    first = (await api.trigger(DAG, conf)).dag_run_id;
    await api.waitForTask(DAG, first, 'run_training_and_hpo', 'running', 5 * 60_000);
    second = (await api.trigger(DAG, conf)).dag_run_id;
    await new Promise((resolve) => setTimeout(resolve, 8000)); // the scheduler has looked at the new run at least once
    secondWhileFirstRan = (await api.run(DAG, second)).state;

    compose('kill', '--signal', 'SIGKILL', 'airflow-scheduler');
    compose('start', 'airflow-scheduler');

    await api.waitForRun(DAG, first, { timeoutMs: 15 * 60_000 });
    trainingTries = (await api.taskInstances(DAG, first)).find((ti) => ti.task_id === 'run_training_and_hpo')?.try_number ?? 0;
    await api.waitForRun(DAG, second, { timeoutMs: 10 * 60_000 });
  });

  it('keeps the second trigger queued while the first run is active (max_active_runs 1)', () => {
    expect(secondWhileFirstRan).toBe('queued');
  });

  it('first run: survives the killed scheduler (the training task ran again) and deploys', async () => {
    const states = await api.states(DAG, first);
    expect((await api.run(DAG, first)).state, JSON.stringify(states)).toBe('success');
    expect(trainingTries).toBeGreaterThanOrEqual(2);
    const deployed = platform.deploy.target === 'kubernetes' ? [...DEPLOY_PATH, ...CLUSTER_PATH] : DEPLOY_PATH;
    for (const task of [...deployed, 'notify_deployment_success', 'end']) expect(states[task], task).toBe('success');
    for (const task of ['log_skip_decision', 'notify_no_deployment', 'rollback_deployment']) expect(states[task], task).toBe('skipped');
    if (platform.deploy.target === 'ecr') console.info(`the pipeline deployed as far as the ECR push: ${platform.deploy.reason}`);
  });

  it('first run: one new version, production in MLflow, the served model on the cluster, the Slack message sent', async () => {
    const promotion = await api.xcom<{ version: string }>(DAG, first, 'register_and_promote_model');
    expect((await versions()).map((v) => v.version)).toEqual([promotion.version]);
    expect(await production()).toBe(promotion.version);
    const runs = await fetch(`${platform.mlflowUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=health-predict-compose-test`).then((r) => r.json() as Promise<{ experiment: { experiment_id: string } }>);
    const search = await fetch(`${platform.mlflowUrl}/api/2.0/mlflow/runs/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_ids: [runs.experiment.experiment_id], max_results: 100 }) });
    expect(((await search.json()) as { runs?: unknown[] }).runs?.length ?? 0).toBeGreaterThan(0);
    if (platform.deploy.target === 'kubernetes') {
      const [kubectl, ...args] = platform.deploy.kubectl;
      const served = spawnSync(kubectl as string, [...args, 'get', '--raw', `/api/v1/namespaces/${platform.deploy.namespace}/services/health-predict-api:http/proxy/model-info`], { encoding: 'utf8', timeout: 60_000 });
      expect(served.status, served.stderr).toBe(0);
      expect(JSON.parse(served.stdout).version).toBe(promotion.version);
    }
    const received = (await fetch(platform.webhookReceived).then((r) => r.json())) as { body: string }[];
    expect(received.some((message) => message.body.includes(promotion.version))).toBe(true);
  });

  it('second run: the same data and seed bring no improvement, so it skips and production stays', async () => {
    const states = await api.states(DAG, second);
    expect((await api.run(DAG, second)).state, JSON.stringify(states)).toBe('success');
    expect(states).toMatchObject({ compare_against_production: 'success', log_skip_decision: 'success', notify_no_deployment: 'success', register_and_promote_model: 'skipped', build_api_image: 'skipped' });
    const promotion = await api.xcom<{ version: string }>(DAG, first, 'register_and_promote_model');
    expect((await versions()).length).toBe(1);
    expect(await production()).toBe(promotion.version);
  });
});
