import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_THRESHOLDS, driftCooldownHoursFromEnv, driftThresholdsFromEnv } from '../../../src/drift/index.ts';
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

describe('the alert cooldown from the environment', () => {
  it('defaults to 6 hours; blank means default; 0 and fractions are allowed', () => {
    expect(driftCooldownHoursFromEnv({})).toBe(6);
    expect(driftCooldownHoursFromEnv({ DRIFT_ALERT_COOLDOWN_HOURS: '  ' })).toBe(6);
    expect(driftCooldownHoursFromEnv({ DRIFT_ALERT_COOLDOWN_HOURS: '0' })).toBe(0);
    expect(driftCooldownHoursFromEnv({ DRIFT_ALERT_COOLDOWN_HOURS: '1.5' })).toBe(1.5);
  });

  it.each(['-1', 'six', 'Infinity', '1h'])("refuses '%s' with a ConfigurationError naming the variable", (value) => {
    expect(() => driftCooldownHoursFromEnv({ DRIFT_ALERT_COOLDOWN_HOURS: value })).toThrow(ConfigurationError);
    expect(() => driftCooldownHoursFromEnv({ DRIFT_ALERT_COOLDOWN_HOURS: value })).toThrow(
      `DRIFT_ALERT_COOLDOWN_HOURS='${value}' is not a number of hours >= 0 (0 turns the cooldown off). Fix or unset DRIFT_ALERT_COOLDOWN_HOURS (default 6).`,
    );
  });
});
