/**
 * Where and how the API is deployed, from the environment (zod-validated; names every bad
 * variable). The cluster itself comes from the kubeconfig (KUBECONFIG, ~/.kube/config or the
 * in-cluster service account), so the same code drives EKS, kind, minikube or the local cluster.
 *
 *   K8S_CONTEXT                  kubeconfig context (default: the current one)
 *   K8S_NAMESPACE                namespace (default health-predict; created when missing)
 *   K8S_DEPLOYMENT_NAME          Deployment name (default health-predict-api; K8S_DEPLOYMENT is an older name
 *                                for it); K8S_SERVICE defaults to it
 *   K8S_REPLICAS                 desired pods (default 2)
 *   K8S_IMAGE_PULL_SECRET        name of an existing dockerconfigjson Secret in the namespace (optional)
 *   K8S_PROGRESS_DEADLINE_S      Deployment progressDeadlineSeconds (default 600)
 *   K8S_ROLLOUT_TIMEOUT_S        how long a task follows a rollout before giving up (default 900)
 *   K8S_POLL_INTERVAL_MS         rollout/endpoint polling interval (default 1000)
 *   K8S_REQUEST_TIMEOUT_MS       one request through the service proxy (default 10000)
 *   K8S_MANIFEST_DIR             directory holding deployment.yaml + service.yaml (default <repo>/deploy/k8s)
 *   HEALTH_CHECK_WINDOW_S        post-deployment health check window (default 300)
 *   HEALTH_CHECK_INTERVAL        seconds between probe rounds (one /health + one /predict) (default 30;
 *                                HEALTH_CHECK_INTERVAL_MS is an older name for it, in milliseconds)
 *   HEALTH_CHECK_P95_MS          p95 latency budget of /predict (default 500)
 *   HEALTH_CHECK_MAX_ERROR_RATE  failed / sent, over all probes (default 0.01)
 *   HEALTH_CHECK_MIN_REQUESTS    fewer probes than this is a failure, never a pass (default: 50, or the
 *                                two probes of every round the window holds when that is fewer)
 * A seed name and its older name set to different values is a K8sConfigError naming both.
 */
import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../host/repo-root.ts';
import { ConflictingVariablesError, resolveAliases } from '../runtime/env-aliases.ts';
import { K8sConfigError } from './errors.ts';

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS-1123 label (lowercase letters, digits, -; at most 63)');
const posInt = z.coerce.number().int().positive();

const envSchema = z.object({
  K8S_CONTEXT: z.string().min(1).optional(),
  K8S_NAMESPACE: dnsLabel.default('health-predict'),
  K8S_DEPLOYMENT_NAME: dnsLabel.default('health-predict-api'),
  K8S_SERVICE: dnsLabel.optional(),
  K8S_REPLICAS: z.coerce.number().int().min(1).max(100).default(2),
  K8S_IMAGE_PULL_SECRET: dnsLabel.optional(),
  K8S_PROGRESS_DEADLINE_S: posInt.default(600),
  K8S_ROLLOUT_TIMEOUT_S: posInt.default(900),
  K8S_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  K8S_REQUEST_TIMEOUT_MS: posInt.default(10_000),
  K8S_MANIFEST_DIR: z.string().min(1).optional(),
  HEALTH_CHECK_WINDOW_S: posInt.default(300),
  HEALTH_CHECK_INTERVAL: z.coerce.number().min(0).default(30),
  HEALTH_CHECK_P95_MS: posInt.default(500),
  HEALTH_CHECK_MAX_ERROR_RATE: z.coerce.number().min(0).max(1).default(0.01),
  HEALTH_CHECK_MIN_REQUESTS: posInt.optional(),
});

/** The seed's names (`K8S_DEPLOYMENT_NAME`, `HEALTH_CHECK_INTERVAL` in seconds) and our older ones. */
const ALIASED = [
  { name: 'K8S_DEPLOYMENT_NAME', aliases: [{ name: 'K8S_DEPLOYMENT' }] },
  { name: 'HEALTH_CHECK_INTERVAL', aliases: [{ name: 'HEALTH_CHECK_INTERVAL_MS', toSeed: (ms: string) => String(Number(ms) / 1000) }] },
];

/** Enough probes to judge: 50, or every probe the window's rounds send when that is fewer. */
const defaultMinRequests = (windowS: number, intervalS: number) => (intervalS > 0 ? Math.max(2, Math.min(50, 2 * Math.floor(windowS / intervalS))) : 50);

export interface HealthCheckBudget {
  windowMs: number;
  intervalMs: number;
  p95BudgetMs: number;
  maxErrorRate: number;
  minRequests: number;
}

export interface K8sConfig {
  context?: string;
  namespace: string;
  deployment: string;
  service: string;
  replicas: number;
  imagePullSecret?: string;
  progressDeadlineSeconds: number;
  rolloutTimeoutMs: number;
  pollIntervalMs: number;
  requestTimeoutMs: number;
  manifestDir: string;
  healthCheck: HealthCheckBudget;
}

export const K8S_ENV_VARS = [...Object.keys(envSchema.shape), ...ALIASED.flatMap((variable) => variable.aliases.map((alias) => alias.name))];

export function k8sConfigFromEnv(env: Record<string, string | undefined> = process.env): K8sConfig {
  let seedNamed: Record<string, string | undefined>;
  try {
    seedNamed = resolveAliases(env, ALIASED);
  } catch (error) {
    if (error instanceof ConflictingVariablesError) throw new K8sConfigError(`Invalid Kubernetes deployment configuration: ${error.message}`);
    throw error;
  }
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(seedNamed).filter(([key, value]) => value !== '' && K8S_ENV_VARS.includes(key))));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new K8sConfigError(`Invalid Kubernetes deployment configuration: ${problems.join('; ')}.`);
  }
  const e = parsed.data;
  return {
    ...(e.K8S_CONTEXT ? { context: e.K8S_CONTEXT } : {}),
    namespace: e.K8S_NAMESPACE,
    deployment: e.K8S_DEPLOYMENT_NAME,
    service: e.K8S_SERVICE ?? e.K8S_DEPLOYMENT_NAME,
    replicas: e.K8S_REPLICAS,
    ...(e.K8S_IMAGE_PULL_SECRET ? { imagePullSecret: e.K8S_IMAGE_PULL_SECRET } : {}),
    progressDeadlineSeconds: e.K8S_PROGRESS_DEADLINE_S,
    rolloutTimeoutMs: e.K8S_ROLLOUT_TIMEOUT_S * 1000,
    pollIntervalMs: e.K8S_POLL_INTERVAL_MS,
    requestTimeoutMs: e.K8S_REQUEST_TIMEOUT_MS,
    manifestDir: e.K8S_MANIFEST_DIR ?? path.join(REPO_ROOT, 'deploy', 'k8s'),
    healthCheck: {
      windowMs: e.HEALTH_CHECK_WINDOW_S * 1000,
      intervalMs: Math.round(e.HEALTH_CHECK_INTERVAL * 1000),
      p95BudgetMs: e.HEALTH_CHECK_P95_MS,
      maxErrorRate: e.HEALTH_CHECK_MAX_ERROR_RATE,
      minRequests: e.HEALTH_CHECK_MIN_REQUESTS ?? defaultMinRequests(e.HEALTH_CHECK_WINDOW_S, e.HEALTH_CHECK_INTERVAL),
    },
  };
}
