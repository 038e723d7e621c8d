import { describe, expect, it } from 'vitest';
import { loadServerEnv } from '../../../src/api/config.ts';
import { DagError } from '../../../src/dsl/errors.ts';
import { ecrConfigFromEnv } from '../../../src/ecr/config.ts';
import { resolveGateConfig } from '../../../src/gates/config.ts';
import { k8sConfigFromEnv } from '../../../src/k8s/config.ts';
import { DeliveryAttemptError } from '../../../src/notify/errors.ts';
import { loadPipelineEnv } from '../../../src/pipeline/contract/environment.ts';
import {
  BadDataError,
  ConfigurationError,
  EXIT_NON_RETRYABLE,
  EXIT_RETRYABLE,
  EXIT_SKIP,
  HealthPredictError,
  RetryableError,
  SkipTask,
  TaskError,
  exitCodeFor,
} from '../../../src/runtime/index.ts';

/** What `fn` throws (synchronously or as a rejection); fails the test when it does not throw. */
async function thrownBy(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}


describe('exitCodeFor', () => {
  it.each([
    ['the pipeline environment (PipelineConfigError)', () => loadPipelineEnv({ MIN_SAMPLE_SIZE: '0' })],
    ['the quality-gate settings (GateConfigError)', () => resolveGateConfig({ CONFIDENCE_LEVEL: '2' })],
    ['the Kubernetes settings (K8sConfigError)', () => k8sConfigFromEnv({ K8S_REPLICAS: 'many' })],
    ['the ECR settings (EcrConfigError)', () => ecrConfigFromEnv({ ECR_REPOSITORY: 'Not Valid' })],
    ['the prediction service environment (ServerConfigError)', () => loadServerEnv({})],
    ['a seed name and its older name set to different values (K8sConfigError)', () => k8sConfigFromEnv({ K8S_DEPLOYMENT_NAME: 'api', K8S_DEPLOYMENT: 'other' })],
  ])('a bad setting in %s is a non-retryable configuration error: exit 97', async (_what, load) => {
    const error = await thrownBy(load);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).retryable).toBe(false);
    expect(exitCodeFor(error)).toBe(EXIT_NON_RETRYABLE);
  });

  it('every deliberate error shares one base that carries retryable', () => {
    for (const error of [new TaskError('x', true), new BadDataError('x'), new ConfigurationError('x'), new DagError('x', 'dag'), new DeliveryAttemptError('x', false)]) {
      expect(error).toBeInstanceOf(HealthPredictError);
    }
    expect(new HealthPredictError('x').retryable).toBe(false);
    expect(new HealthPredictError('x', { retryable: true, cause: 'c' })).toMatchObject({ retryable: true, cause: 'c', name: 'HealthPredictError' });
  });

  it('maps skips to 99, non-retryable errors to 97 and everything else to 1', () => {
    expect(exitCodeFor(new SkipTask('nothing to do'))).toBe(EXIT_SKIP);
    expect(exitCodeFor(new BadDataError('bad row'))).toBe(EXIT_NON_RETRYABLE);
    expect(exitCodeFor(new RetryableError('service down'))).toBe(EXIT_RETRYABLE);
    expect(exitCodeFor(new DagError('bad dag', 'dag'))).toBe(EXIT_NON_RETRYABLE);
    expect(exitCodeFor(new DeliveryAttemptError('SMTP 550', true))).toBe(EXIT_NON_RETRYABLE);
    expect(exitCodeFor(new DeliveryAttemptError('SMTP 421', false))).toBe(EXIT_RETRYABLE);
    expect(exitCodeFor(new TaskError('service down', true))).toBe(EXIT_RETRYABLE);
    expect(exitCodeFor(new Error('unexpected'))).toBe(EXIT_RETRYABLE);
    expect(exitCodeFor('a thrown string')).toBe(EXIT_RETRYABLE);
  });
});
