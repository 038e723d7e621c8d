/**
 * What the project's DAGs share: start date, no catch-up, one run at a time, the owner, Airflow's
 * retries backing off exponentially (5 min, then 10, capped at 30), and where their tasks run —
 * a bash process locally, a pod of the task image in a cluster. Plain data, so a DAG file spreads
 * it into its options and sets only what is its own; and the schema of a URI param.
 */
import { z } from 'zod';
import { K8S_ENV_VARS } from '../k8s/config.ts';
import { pipelineEnvSchema } from './contract/environment.ts';

/** A param holding an object or prefix URI (the trigger form checks the scheme; the task checks the rest). */
export const objectUriParam = z.string().regex(/^(s3:\/\/|file:\/\/\/)/);

export const DAG_DEFAULTS = { startDate: '2024-01-01', catchup: false, maxActiveRuns: 1, owner: 'health-predict' };

export const RETRY_DEFAULTS = { retries: 2, retryDelay: { minutes: 5 }, retryExponentialBackoff: true, maxRetryDelay: { minutes: 30 } };

/**
 * The tasks' secrets: in a cluster each comes from the key of its name in this Kubernetes Secret
 * (`health-predict cluster task-secret` writes it from the current environment), never from the
 * DAG file or the Airflow worker.
 */
export const TASK_SECRET_ENV = {
  secretName: 'health-predict-task-secrets',
  names: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN', 'HP_LOCAL_REGISTRY_PASSWORD', 'SLACK_WEBHOOK_URL', 'SMTP_PASSWORD'],
};

/**
 * The service account of the task pods that change the API's Deployment (rollout, verification,
 * health check, rollback): a Role on the Deployment's namespace, nothing else
 * (`health-predict cluster deployer` writes it). The other task pods keep the namespace's default.
 */
export const TASK_DEPLOYER_SERVICE_ACCOUNT = 'health-predict-deployer';

/** A task's `pod` when it reads or changes the API's Deployment. */
export const DEPLOYER_POD = { serviceAccountName: TASK_DEPLOYER_SERVICE_ACCOUNT };

/** A task's `pod` when it builds, runs or pushes images: the node's Docker daemon (`dag build --docker-socket`), else DOCKER_HOST. */
export const DOCKER_POD = { docker: true };

/**
 * The tasks' settings (no secrets) a pod takes from the Airflow worker's environment, as a bash
 * task inherits them: the pipeline environment (pipelineEnvSchema) and the services' addresses.
 */
export const TASK_WORKER_ENV = [
  ...new Set([
    // The trainer's Python is the image's own (its ENV), not the worker's path.
    ...Object.keys(pipelineEnvSchema.shape).filter((name) => name !== 'HEALTH_PREDICT_TRAINER_PYTHON'),
    ...['MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_USERNAME', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_ECR'],
    ...['HP_LOCAL_REGISTRY', 'HP_LOCAL_REGISTRY_USERNAME', 'DOCKER_HOST', 'BASE_IMAGE'],
    ...K8S_ENV_VARS,
    ...['SMTP_HOST', 'SMTP_PORT', 'SMTP_SECURE', 'SMTP_USER', 'NOTIFY_EMAIL_FROM', 'NOTIFY_EMAIL_TO', 'AIRFLOW__API__BASE_URL'],
  ]),
].sort();

/** The `local` and `cluster` profiles, the pods asking for `resources`. */
export function taskProfiles(resources: { requests: { cpu: string; memory: string }; limits: { memory: string } }) {
  return {
    local: { kind: 'bash' as const },
    // One image holding Node, the task bundles and the ML environment (deploy/tasks/Dockerfile);
    // `dag build --task-image` names the one a deployment runs.
    cluster: {
      kind: 'kubernetes' as const,
      image: 'health-predict-tasks:latest',
      namespace: 'health-predict',
      resources,
      // The registry's login (`health-predict cluster pull-secret`); nodes that may pull without one (EKS from ECR) ignore it.
      imagePullSecrets: ['health-predict-registry'],
      workerEnv: TASK_WORKER_ENV,
      secretEnv: TASK_SECRET_ENV,
    },
  };
}
