/** The environment a child process (task script, trainer, CLI) needs to use the local stack. */
import { baseImageTag } from '../images/base-image.ts';
import { readRegistryCredentials } from './registry-service.ts';
import type { StackInfo } from './stack.ts';

/** moto accepts any credentials; these are the conventional fake ones. */
export const FAKE_AWS_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } as const;

/**
 * MLFLOW_TRACKING_URI, AWS_ENDPOINT_URL_S3/_ECR (moto), fake AWS credentials and region,
 * DOCKER_HOST and BASE_IMAGE (the locally built Node base image), and the local registry that stands in for ECR's (HP_LOCAL_REGISTRY, its user
 * and password) — only for the services that run.
 */
export function stackEnv(info: StackInfo): Record<string, string> {
  const env: Record<string, string> = {};
  if (info.mlflowUri) env.MLFLOW_TRACKING_URI = info.mlflowUri;
  if (info.s3Endpoint) {
    Object.assign(env, {
      AWS_ENDPOINT_URL_S3: info.s3Endpoint,
      AWS_ENDPOINT_URL_ECR: info.s3Endpoint,
      ...FAKE_AWS_CREDENTIALS,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
  }
  if (info.dockerHost) {
    env.DOCKER_HOST = info.dockerHost;
    // the image build's base: no registry to pull node:20-bookworm-slim from, so the local one
    env.BASE_IMAGE = baseImageTag();
  }
  if (info.registryUrl) {
    const credentials = readRegistryCredentials(info.stateDir);
    env.HP_LOCAL_REGISTRY = new URL(info.registryUrl).host;
    if (credentials) Object.assign(env, { HP_LOCAL_REGISTRY_USERNAME: credentials.username, HP_LOCAL_REGISTRY_PASSWORD: credentials.password });
  }
  return env;
}
