/** Gate configuration: defaults, env, DAG params overriding env, and one error naming every bad value. */
import { describe, expect, it } from 'vitest';
import { GATE_ENV_VARS, GateConfigError, gateConfigSchema, resolveGateConfig } from '../../../src/gates/index.ts';
import { exitCodeFor, NonRetryableError } from '../../../src/runtime/errors.ts';
import { EXIT_NON_RETRYABLE } from '../../../src/runtime/contract.ts';

const DEFAULTS = {
  improvement_threshold: 0.02,
  confidence_level: 0.95,
  min_sample_size: 1000,
  max_days_since_update: 30,
  max_degradation: 0.05,
  bootstrap_resamples: 10_000,
  seed: 42,
};

function errorOf(run: () => unknown): GateConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof GateConfigError) return error;
    throw error;
  }
  throw new Error('expected a GateConfigError');
}

describe('resolveGateConfig', () => {
  it('uses the documented defaults when nothing is set, and says so', () => {
    const config = resolveGateConfig({}, {});
    expect(config).toEqual({ ...DEFAULTS, sources: Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 'default'])) });
    expect(gateConfigSchema.parse({})).toEqual(DEFAULTS);
  });

  it('reads every setting from its environment variable', () => {
    const config = resolveGateConfig(
      {
        MODEL_IMPROVEMENT_THRESHOLD: '0.03',
        CONFIDENCE_LEVEL: '0.99',
        MIN_SAMPLE_SIZE: '500',
        MAX_DAYS_SINCE_UPDATE: '14',
        MAX_METRIC_DEGRADATION: '0.1',
        GATE_BOOTSTRAP_RESAMPLES: '20000',
        GATE_SEED: '7',
        UNRELATED: 'x',
      },
      {},
    );
    expect(config).toMatchObject({
      improvement_threshold: 0.03,
      confidence_level: 0.99,
      min_sample_size: 500,
      max_days_since_update: 14,
      max_degradation: 0.1,
      bootstrap_resamples: 20_000,
      seed: 7,
    });
    expect(Object.values(config.sources).every((source) => source === 'env')).toBe(true);
  });

  it('lets DAG params override env vars, ignoring params that are absent or null', () => {
    const config = resolveGateConfig(
      { MODEL_IMPROVEMENT_THRESHOLD: '0.03', CONFIDENCE_LEVEL: '0.99', MIN_SAMPLE_SIZE: '500' },
      { improvement_threshold: 0.05, confidence_level: null, max_days_since_update: 7 },
    );
    expect(config).toMatchObject({ improvement_threshold: 0.05, confidence_level: 0.99, min_sample_size: 500, max_days_since_update: 7, seed: 42 });
    expect(config.sources).toEqual({
      improvement_threshold: 'param',
      confidence_level: 'env',
      min_sample_size: 'env',
      max_days_since_update: 'param',
      max_degradation: 'default',
      bootstrap_resamples: 'default',
      seed: 'default',
    });
  });

  it('treats a blank env var as unset, and a param of 0 as set', () => {
    const config = resolveGateConfig({ MODEL_IMPROVEMENT_THRESHOLD: '  ', MIN_SAMPLE_SIZE: '' }, { improvement_threshold: 0 });
    expect(config.improvement_threshold).toBe(0);
    expect(config.sources.improvement_threshold).toBe('param');
    expect(config.sources.min_sample_size).toBe('default');
  });

  it('names every bad variable and param in one non-retryable error', () => {
    const error = errorOf(() =>
      resolveGateConfig(
        { MIN_SAMPLE_SIZE: 'lots', CONFIDENCE_LEVEL: '1', GATE_BOOTSTRAP_RESAMPLES: '5000', GATE_SEED: '-1', MAX_METRIC_DEGRADATION: '0.5' },
        { improvement_threshold: 1.5, max_days_since_update: 2.5 },
      ),
    );
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(exitCodeFor(error)).toBe(EXIT_NON_RETRYABLE);
    expect(error.problems).toEqual([
      'DAG param improvement_threshold=1.5 must be a number from 0 to 1',
      'environment variable CONFIDENCE_LEVEL="1" must be a number strictly between 0 and 1',
      'environment variable MIN_SAMPLE_SIZE="lots" must be a whole number greater than 0',
      'DAG param max_days_since_update=2.5 must be a whole number of days greater than 0',
      'environment variable GATE_BOOTSTRAP_RESAMPLES="5000" must be a whole number of at least 10000',
      'environment variable GATE_SEED="-1" must be a whole number from 0 to 4294967295',
    ]);
    expect(error.message).toMatch(/^Invalid quality-gate configuration: DAG param improvement_threshold=1\.5 .*; environment variable CONFIDENCE_LEVEL/);
    expect(error.message).toMatch(/a DAG param, when set, overrides the environment variable/);
    expect(error.message).not.toMatch(/MAX_METRIC_DEGRADATION/);
  });

  it('reports a bad env var even when a param overrides it (the environment is shared by every run)', () => {
    expect(errorOf(() => resolveGateConfig({ MODEL_IMPROVEMENT_THRESHOLD: 'abc' }, { improvement_threshold: 0.01 })).problems).toEqual([
      'environment variable MODEL_IMPROVEMENT_THRESHOLD="abc" must be a number from 0 to 1',
    ]);
  });

  it('rejects non-finite numbers and wrong types in params', () => {
    const error = errorOf(() =>
      resolveGateConfig({ GATE_SEED: '4294967296' }, { confidence_level: Number.NaN, min_sample_size: '10' as unknown as number }),
    );
    expect(error.problems).toEqual([
      'DAG param confidence_level=NaN must be a number strictly between 0 and 1',
      'DAG param min_sample_size="10" must be a whole number greater than 0',
      'environment variable GATE_SEED="4294967296" must be a whole number from 0 to 4294967295',
    ]);
  });

  it('maps each setting to the env var the pipeline documents', () => {
    expect(GATE_ENV_VARS).toEqual({
      improvement_threshold: 'MODEL_IMPROVEMENT_THRESHOLD',
      confidence_level: 'CONFIDENCE_LEVEL',
      min_sample_size: 'MIN_SAMPLE_SIZE',
      max_days_since_update: 'MAX_DAYS_SINCE_UPDATE',
      max_degradation: 'MAX_METRIC_DEGRADATION',
      bootstrap_resamples: 'GATE_BOOTSTRAP_RESAMPLES',
      seed: 'GATE_SEED',
    });
  });
});
