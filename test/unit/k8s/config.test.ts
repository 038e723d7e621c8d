/** The deploy configuration from the environment: defaults, overrides, and errors that name the variable. */
import { describe, expect, it } from 'vitest';
import { k8sConfigFromEnv } from '../../../src/k8s/config.ts';
import { K8sConfigError } from '../../../src/k8s/errors.ts';

describe('k8sConfigFromEnv', () => {
  it('has production defaults (5-minute health check, 600 s progress deadline, no pull secret)', () => {
    const config = k8sConfigFromEnv({});
    expect(config).toMatchObject({ namespace: 'health-predict', deployment: 'health-predict-api', service: 'health-predict-api', replicas: 2, progressDeadlineSeconds: 600, rolloutTimeoutMs: 900_000 });
    expect(config.healthCheck).toEqual({ windowMs: 300_000, intervalMs: 1000, p95BudgetMs: 500, maxErrorRate: 0.01, minRequests: 50 });
    expect(config.imagePullSecret).toBeUndefined();
    expect(config.manifestDir).toMatch(/deploy\/k8s$/);
  });

  it('reads overrides; empty values count as unset', () => {
    const config = k8sConfigFromEnv({ K8S_NAMESPACE: 'prod', K8S_DEPLOYMENT: 'api', K8S_SERVICE: '', K8S_IMAGE_PULL_SECRET: 'ecr-pull', HEALTH_CHECK_WINDOW_S: '10', K8S_REPLICAS: '3' });
    expect(config).toMatchObject({ namespace: 'prod', deployment: 'api', service: 'api', imagePullSecret: 'ecr-pull', replicas: 3 });
    expect(config.healthCheck.windowMs).toBe(10_000);
  });

  it('names every bad variable', () => {
    const error = (() => {
      try {
        k8sConfigFromEnv({ K8S_NAMESPACE: 'Bad_Name', K8S_REPLICAS: '0' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(K8sConfigError);
    expect(error!.message).toMatch(/^Invalid Kubernetes deployment configuration: K8S_NAMESPACE: a DNS-1123 label .*; K8S_REPLICAS: /);
  });
});
