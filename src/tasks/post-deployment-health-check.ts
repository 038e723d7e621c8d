import { z } from 'zod';
import { connectCluster, HealthCheckFailedError, k8sConfigFromEnv, recordFailure, runHealthCheck } from '../k8s/index.ts';
import { defineTask } from '../runtime/index.ts';
import deployToKubernetes from './deploy-to-kubernetes.ts';

/**
 * Watches the new release for a window (HEALTH_CHECK_WINDOW_S, default 300 s): /health and
 * valid predictions through the service proxy, judged on error rate, /predict p95 latency and a
 * minimum number of probes (too few is a failure). A failure is marked on the Deployment for
 * rollback_deployment.
 */
export default defineTask({
  id: 'post-deployment-health-check',
  description: 'Kubernetes: /health + predictions over a window; error rate, p95 latency and minimum request budgets.',
  input: z.object({ deployment: deployToKubernetes.output }),
  output: z.object({
    passed: z.boolean(),
    requests: z.number().int(),
    failed: z.number().int(),
    error_rate: z.number(),
    health_requests: z.number().int(),
    predict_requests: z.number().int(),
    predict_p50_ms: z.number().nullable(),
    predict_p95_ms: z.number().nullable(),
    window_s: z.number(),
    problems: z.array(z.string()),
    sample_failures: z.array(z.string()),
  }),
  run: async ({ deployment }, ctx) => {
    const config = k8sConfigFromEnv();
    const cluster = connectCluster({ context: config.context, requestTimeoutMs: config.requestTimeoutMs });
    try {
      const budget = config.healthCheck;
      ctx.log.info({ ...budget, service: `${deployment.namespace}/${deployment.service}` }, `health check of ${deployment.model_name} v${deployment.model_version} for ${budget.windowMs / 1000} s`);
      const summary = await runHealthCheck(cluster, {
        namespace: deployment.namespace,
        service: deployment.service,
        modelVersion: deployment.model_version,
        budget,
        requestTimeoutMs: config.requestTimeoutMs,
        log: ctx.log,
      });
      ctx.log[summary.passed ? 'info' : 'error'](summary, summary.passed ? 'health check passed' : `health check failed: ${summary.problems.join('; ')}`);
      if (!summary.passed) {
        const reason = `post-deployment health check of v${deployment.model_version} failed: ${summary.problems.join('; ')}${summary.sample_failures.length ? ` (e.g. ${summary.sample_failures.join(' | ')})` : ''}`;
        await recordFailure(cluster, deployment.namespace, deployment.deployment, { stage: 'health_check', reason, image: deployment.image, modelVersion: deployment.model_version });
        throw new HealthCheckFailedError(`${reason}. The Deployment is marked for rollback_deployment.`);
      }
      return summary;
    } finally {
      cluster.close();
    }
  },
});
