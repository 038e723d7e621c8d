import { z } from 'zod';
import { k8sConfigFromEnv, recordFailure, VerificationError, verifyDeployment, withCluster } from '../k8s/index.ts';
import { deploymentSchema, verifyResultSchema } from '../pipeline/contract/kubernetes.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Checks that the release serves: every pod of the new ReplicaSet Ready, the Service's ready
 * endpoints are exactly those pods, /health answers 200 and /model-info reports the registered
 * model version through the API server's service proxy. A failed check is marked on the
 * Deployment for rollback_deployment.
 */
export default defineTask({
  id: 'verify-deployment',
  description: 'Kubernetes: new ReplicaSet Ready, Service endpoints ready, /health and /model-info serve the registered version.',
  input: z.object({ deployment: deploymentSchema }),
  output: verifyResultSchema,
  run: async ({ deployment }, ctx) => {
    const config = k8sConfigFromEnv();
    return withCluster(config, async (cluster) => {
      const result = await verifyDeployment(cluster, {
        namespace: deployment.namespace,
        deployment: deployment.deployment,
        service: deployment.service,
        expected: { modelName: deployment.model_name, modelVersion: deployment.model_version },
        requestTimeoutMs: config.requestTimeoutMs,
        pollIntervalMs: config.pollIntervalMs,
      }).catch(async (error: unknown) => {
        if (error instanceof VerificationError) {
          await recordFailure(cluster, deployment.namespace, deployment.deployment, { stage: 'verify', reason: error.message, image: deployment.image, modelVersion: deployment.model_version });
        }
        throw error;
      });
      ctx.log.info(result, `${deployment.model_name} v${deployment.model_version} serves from ${result.ready_pods.length} Ready pods behind ${deployment.service}`);
      return result;
    });
  },
});
