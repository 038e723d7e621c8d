import { z } from 'zod';
import { HealthCheckFailedError, k8sConfigFromEnv, recordFailure, runHealthCheck, withCluster } from '../k8s/index.ts';
import { deploymentSchema, healthCheckSummarySchema } from '../pipeline/contract/kubernetes.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Watches the new release for a window (HEALTH_CHECK_WINDOW_S, default 300 s), a round every
 * HEALTH_CHECK_INTERVAL seconds (default 30): /health and a valid prediction through the
 * service proxy, judged on error rate, /predict p95 latency and a
 * minimum number of probes (too few is a failure). A failure is marked on the Deployment for
 * rollback_deployment.
 */
export default defineTask({
  id: 'post-deployment-health-check',
  description: 'Kubernetes: /health + predictions over a window; error rate, p95 latency and minimum request budgets.',
  input: z.object({ deployment: deploymentSchema }),
  output: healthCheckSummarySchema,
  run: async ({ deployment }, ctx) => {
    const config = k8sConfigFromEnv();
    return withCluster(config, async (cluster) => {
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
    });
  },
});
