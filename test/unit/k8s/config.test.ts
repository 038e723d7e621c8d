/** The deploy configuration from the environment: defaults, overrides, and errors that name the variable. */
import { describe, expect, it } from 'vitest';
import { k8sConfigFromEnv } from '../../../src/k8s/config.ts';
import { K8sConfigError } from '../../../src/k8s/errors.ts';

describe('k8sConfigFromEnv', () => {
  it('has production defaults (5-minute health check, a round every 30 s, 600 s progress deadline, no pull secret)', () => {
    const config = k8sConfigFromEnv({});
    expect(config).toMatchObject({ namespace: 'health-predict', deployment: 'health-predict-api', service: 'health-predict-api', replicas: 2, progressDeadlineSeconds: 600, rolloutTimeoutMs: 900_000 });
    // Ten rounds of two probes fit the window: they are all required.
    expect(config.healthCheck).toEqual({ windowMs: 300_000, intervalMs: 30_000, p95BudgetMs: 500, maxErrorRate: 0.01, minRequests: 20 });
    expect(config.imagePullSecret).toBeUndefined();
    expect(config.manifestDir).toMatch(/deploy\/k8s$/);
  });

  it('reads overrides; empty values count as unset', () => {
    const config = k8sConfigFromEnv({ K8S_NAMESPACE: 'prod', K8S_DEPLOYMENT: 'api', K8S_SERVICE: '', K8S_IMAGE_PULL_SECRET: 'ecr-pull', HEALTH_CHECK_WINDOW_S: '10', K8S_REPLICAS: '3' });
    expect(config).toMatchObject({ namespace: 'prod', deployment: 'api', service: 'api', imagePullSecret: 'ecr-pull', replicas: 3 });
    expect(config.healthCheck.windowMs).toBe(10_000);
  });

  it("reads the seed's names; the older names are aliases (HEALTH_CHECK_INTERVAL_MS in milliseconds)", () => {
    expect(k8sConfigFromEnv({ K8S_DEPLOYMENT_NAME: 'api', HEALTH_CHECK_INTERVAL: '2' })).toMatchObject({ deployment: 'api', healthCheck: { intervalMs: 2000, minRequests: 50 } });
    expect(k8sConfigFromEnv({ K8S_DEPLOYMENT: 'old', HEALTH_CHECK_INTERVAL_MS: '200' })).toMatchObject({ deployment: 'old', healthCheck: { intervalMs: 200 } });
    expect(k8sConfigFromEnv({ K8S_DEPLOYMENT_NAME: 'api', K8S_DEPLOYMENT: 'api', HEALTH_CHECK_INTERVAL: '0.2', HEALTH_CHECK_INTERVAL_MS: '200' }).deployment).toBe('api');
    expect(k8sConfigFromEnv({ HEALTH_CHECK_MIN_REQUESTS: '7' }).healthCheck.minRequests).toBe(7);
  });

  it('refuses a seed name and its alias set to different values, naming both', () => {
    expect(() => k8sConfigFromEnv({ K8S_DEPLOYMENT_NAME: 'api', K8S_DEPLOYMENT: 'other' })).toThrow(
      new K8sConfigError('Invalid Kubernetes deployment configuration: K8S_DEPLOYMENT_NAME="api" and K8S_DEPLOYMENT="other" set the same setting to different values. Set only K8S_DEPLOYMENT_NAME (K8S_DEPLOYMENT is an older name for it).'),
    );
    expect(() => k8sConfigFromEnv({ HEALTH_CHECK_INTERVAL: '1', HEALTH_CHECK_INTERVAL_MS: '200' })).toThrow(/HEALTH_CHECK_INTERVAL="1" and HEALTH_CHECK_INTERVAL_MS="200"/);
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
