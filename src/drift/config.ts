/**
 * The drift decision's thresholds, read from the environment:
 *   DRIFT_THRESHOLD_MINOR / _MODERATE / _MAJOR — PSI levels, defaults 0.05 / 0.15 / 0.30 (the
 *   origin project's; 0.1 / 0.25 are the textbook PSI cut-offs, and the origin watches earlier);
 *   DRIFT_PERFORMANCE_DROP — the F1 drop that is a PERFORMANCE_DROP, default 0.05. Why 0.05:
 *   on a batch of a few thousand rows the sampling error of F1 is about 0.01, so a drop of 0.05
 *   is several standard errors — a real loss, not noise — and it equals the gates'
 *   MAX_METRIC_DEGRADATION, the largest drop the pipeline tolerates when it deploys a model.
 * DRIFT_ALERT_COOLDOWN_HOURS — how long after a retrain trigger (or a MINOR warning) the
 *   monitoring stays quiet about the next one (alerts.ts), default 6: two periods of the 3-hourly
 *   schedule, long enough for a triggered improvement run to finish and its model to be measured
 *   on a batch before drift may trigger again; 0 turns the cooldown off.
 * A value that is not a number in range, or thresholds out of order, is a ConfigurationError
 * naming the variable.
 */
import { z } from 'zod';
import { ConfigurationError } from '../runtime/errors.ts';

export const DRIFT_SETTINGS = {
  minor: { env: 'DRIFT_THRESHOLD_MINOR', default: 0.05 },
  moderate: { env: 'DRIFT_THRESHOLD_MODERATE', default: 0.15 },
  major: { env: 'DRIFT_THRESHOLD_MAJOR', default: 0.3 },
  performance_drop: { env: 'DRIFT_PERFORMANCE_DROP', default: 0.05 },
} as const;
export type DriftSettingKey = keyof typeof DRIFT_SETTINGS;

export const driftThresholdsSchema = z
  .object({
    minor: z.number().positive(),
    moderate: z.number().positive(),
    major: z.number().positive(),
    performance_drop: z.number().gt(0).lt(1),
  })
  .refine((t) => t.minor < t.moderate && t.moderate < t.major, { message: 'the PSI thresholds must satisfy 0 < minor < moderate < major' });
export type DriftThresholds = z.infer<typeof driftThresholdsSchema>;

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = {
  minor: DRIFT_SETTINGS.minor.default,
  moderate: DRIFT_SETTINGS.moderate.default,
  major: DRIFT_SETTINGS.major.default,
  performance_drop: DRIFT_SETTINGS.performance_drop.default,
};

/** The thresholds from `env` (a blank or absent variable takes its default). */
export function driftThresholdsFromEnv(env: Readonly<Record<string, string | undefined>>): DriftThresholds {
  const value = (key: DriftSettingKey): number => {
    const { env: name, default: fallback } = DRIFT_SETTINGS[key];
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const parsed = Number(raw);
    const valid = key === 'performance_drop' ? parsed > 0 && parsed < 1 : parsed > 0 && Number.isFinite(parsed);
    if (!valid) {
      const expected = key === 'performance_drop' ? 'a number strictly between 0 and 1' : 'a number greater than 0';
      throw new ConfigurationError(`${name}='${raw}' is not ${expected}. Fix or unset ${name} (default ${fallback}).`);
    }
    return parsed;
  };
  const thresholds = { minor: value('minor'), moderate: value('moderate'), major: value('major'), performance_drop: value('performance_drop') };
  const { minor, moderate, major } = DRIFT_SETTINGS;
  if (!(thresholds.minor < thresholds.moderate)) {
    throw new ConfigurationError(`${minor.env} (${thresholds.minor}) must be below ${moderate.env} (${thresholds.moderate}): the levels need 0 < minor < moderate < major.`);
  }
  if (!(thresholds.moderate < thresholds.major)) {
    throw new ConfigurationError(`${moderate.env} (${thresholds.moderate}) must be below ${major.env} (${thresholds.major}): the levels need 0 < minor < moderate < major.`);
  }
  return thresholds;
}

export const DRIFT_ALERT_COOLDOWN = { env: 'DRIFT_ALERT_COOLDOWN_HOURS', default: 6 } as const;

/** The alert cooldown in hours from `env` (blank or absent: the default; 0: no cooldown). */
export function driftCooldownHoursFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const { env: name, default: fallback } = DRIFT_ALERT_COOLDOWN;
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const parsed = Number(raw);
  if (!(parsed >= 0 && Number.isFinite(parsed))) {
    throw new ConfigurationError(`${name}='${raw}' is not a number of hours >= 0 (0 turns the cooldown off). Fix or unset ${name} (default ${fallback}).`);
  }
  return parsed;
}
