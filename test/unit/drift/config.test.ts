import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_THRESHOLDS, driftThresholdsFromEnv } from '../../../src/drift/index.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

describe('drift thresholds from the environment', () => {
  it('defaults to 0.05 / 0.15 / 0.30 and an F1 drop of 0.05; blank means default', () => {
    expect(driftThresholdsFromEnv({})).toEqual({ minor: 0.05, moderate: 0.15, major: 0.3, performance_drop: 0.05 });
    expect(driftThresholdsFromEnv({ DRIFT_THRESHOLD_MINOR: ' ' })).toEqual(DEFAULT_DRIFT_THRESHOLDS);
  });

  it('reads each variable', () => {
    expect(
      driftThresholdsFromEnv({ DRIFT_THRESHOLD_MINOR: '0.1', DRIFT_THRESHOLD_MODERATE: '0.2', DRIFT_THRESHOLD_MAJOR: '0.25', DRIFT_PERFORMANCE_DROP: '0.03' }),
    ).toEqual({ minor: 0.1, moderate: 0.2, major: 0.25, performance_drop: 0.03 });
  });

  it.each([
    [{ DRIFT_THRESHOLD_MINOR: 'abc' }, /DRIFT_THRESHOLD_MINOR='abc' is not a number greater than 0/],
    [{ DRIFT_THRESHOLD_MAJOR: '-1' }, /DRIFT_THRESHOLD_MAJOR='-1'/],
    [{ DRIFT_THRESHOLD_MODERATE: '0' }, /DRIFT_THRESHOLD_MODERATE='0'/],
    [{ DRIFT_PERFORMANCE_DROP: '1' }, /DRIFT_PERFORMANCE_DROP='1' is not a number strictly between 0 and 1/],
    [{ DRIFT_THRESHOLD_MINOR: '0.2' }, /DRIFT_THRESHOLD_MINOR \(0.2\) must be below DRIFT_THRESHOLD_MODERATE \(0.15\)/],
    [{ DRIFT_THRESHOLD_MAJOR: '0.15' }, /DRIFT_THRESHOLD_MODERATE \(0.15\) must be below DRIFT_THRESHOLD_MAJOR \(0.15\)/],
  ])('refuses %o with a ConfigurationError naming the variable', (env, message) => {
    expect(() => driftThresholdsFromEnv(env)).toThrow(ConfigurationError);
    expect(() => driftThresholdsFromEnv(env)).toThrow(message);
  });
});
