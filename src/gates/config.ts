/**
 * Configuration of the quality gates: the schema with its defaults and the resolver that
 * reads it from the task's environment, with the DAG run's params overriding the environment
 * (a param that is absent or null leaves the environment's value in place).
 */
import { z } from 'zod';
import { ConfigurationError } from '../runtime/errors.ts';

/**
 * Each gate setting, defined once: its environment variable, its range, its default, what a
 * valid value looks like (for error messages) and its meaning. The gate config, the pipeline's
 * environment schema, the DAG params and the comparison task's input are all built from it.
 */
export const GATE_SETTINGS = {
  improvement_threshold: {
    env: 'MODEL_IMPROVEMENT_THRESHOLD',
    range: z.number().min(0).max(1),
    default: 0.02,
    expected: 'a number from 0 to 1',
    description: 'Minimum F1 gain over production required to deploy.',
  },
  confidence_level: {
    env: 'CONFIDENCE_LEVEL',
    range: z.number().gt(0).lt(1),
    default: 0.95,
    expected: 'a number strictly between 0 and 1',
    description: 'One-sided confidence of the bootstrap lower bound of ΔF1; the p-value must be below 1 − it.',
  },
  min_sample_size: {
    env: 'MIN_SAMPLE_SIZE',
    range: z.number().int().positive(),
    default: 1000,
    expected: 'a whole number greater than 0',
    description: 'Fewer held-out rows than this → SKIP.',
  },
  max_days_since_update: {
    env: 'MAX_DAYS_SINCE_UPDATE',
    range: z.number().int().positive(),
    default: 30,
    expected: 'a whole number of days greater than 0',
    description: 'Production older than this many days may be refreshed by a candidate at least as good.',
  },
  max_degradation: {
    env: 'MAX_METRIC_DEGRADATION',
    range: z.number().min(0).max(1),
    default: 0.05,
    expected: 'a number from 0 to 1',
    description: 'The largest tolerated drop of precision, recall or ROC AUC versus production.',
  },
  bootstrap_resamples: {
    env: 'GATE_BOOTSTRAP_RESAMPLES',
    range: z.number().int().min(10_000),
    default: 10_000,
    expected: 'a whole number of at least 10000',
    description: 'Paired bootstrap resamples of ΔF1.',
  },
  seed: {
    env: 'GATE_SEED',
    range: z.number().int().min(0).max(0xffffffff),
    default: 42,
    expected: 'a whole number from 0 to 4294967295',
    description: 'Seed of the paired bootstrap.',
  },
} as const;
export type GateConfigKey = keyof typeof GATE_SETTINGS;

/** A setting's range with its default filled in when the value is absent. */
export const gateSettingSchema = <K extends GateConfigKey>(key: K) => GATE_SETTINGS[key].range.default(GATE_SETTINGS[key].default);

export const gateConfigSchema = z.object({
  improvement_threshold: gateSettingSchema('improvement_threshold'),
  confidence_level: gateSettingSchema('confidence_level'),
  min_sample_size: gateSettingSchema('min_sample_size'),
  max_days_since_update: gateSettingSchema('max_days_since_update'),
  max_degradation: gateSettingSchema('max_degradation'),
  bootstrap_resamples: gateSettingSchema('bootstrap_resamples'),
  seed: gateSettingSchema('seed'),
});
export type GateConfig = z.output<typeof gateConfigSchema>;

/** The environment variable of each setting. */
export const GATE_ENV_VARS = Object.fromEntries(Object.entries(GATE_SETTINGS).map(([key, setting]) => [key, setting.env])) as {
  readonly [K in GateConfigKey]: (typeof GATE_SETTINGS)[K]['env'];
};

/** The settings a DAG run's params may override. */
export const GATE_PARAM_KEYS = ['improvement_threshold', 'confidence_level', 'min_sample_size', 'max_days_since_update'] as const;
export type GateParamKey = (typeof GATE_PARAM_KEYS)[number];
export type GateParams = Partial<Record<GateParamKey, number | null>>;

export type ConfigSource = 'param' | 'env' | 'default';

/** The resolved settings and where each came from. */
export type ResolvedGateConfig = GateConfig & { readonly sources: Record<GateConfigKey, ConfigSource> };

/** One or more gate settings are invalid; the message names every one. */
export class GateConfigError extends ConfigurationError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid quality-gate configuration: ${problems.join('; ')}. ` +
        'Fix the environment variable or the DAG param named (a DAG param, when set, overrides the environment variable).',
    );
  }
}

const GATE_KEYS = Object.keys(GATE_SETTINGS) as GateConfigKey[];

/** Resolves the gate settings: DAG param (when present and not null), else env var (when non-blank), else default. */
export function resolveGateConfig(env: Record<string, string | undefined>, params: GateParams = {}): ResolvedGateConfig {
  const problems: string[] = [];
  const values: Partial<Record<GateConfigKey, number>> = {};
  const sources = {} as Record<GateConfigKey, ConfigSource>;
  for (const key of GATE_KEYS) {
    const envName = GATE_SETTINGS[key].env;
    const rawEnv = env[envName]?.trim();
    // Env vars are checked even when a param overrides them: the environment is shared by
    // every run, so a bad value there is a configuration error now, not only when it is used.
    let envValue: number | undefined;
    if (rawEnv) {
      const parsed = Number(rawEnv);
      if (valid(key, parsed)) envValue = parsed;
      else problems.push(`environment variable ${envName}=${JSON.stringify(env[envName])} must be ${GATE_SETTINGS[key].expected}`);
    }
    const paramValue = (GATE_PARAM_KEYS as readonly string[]).includes(key) ? params[key as GateParamKey] : undefined;
    if (paramValue !== undefined && paramValue !== null) {
      if (valid(key, paramValue)) {
        values[key] = paramValue;
        sources[key] = 'param';
      } else {
        problems.push(`DAG param ${key}=${show(paramValue)} must be ${GATE_SETTINGS[key].expected}`);
      }
    } else if (rawEnv) {
      if (envValue !== undefined) values[key] = envValue;
      sources[key] = 'env';
    } else {
      sources[key] = 'default';
    }
  }
  if (problems.length) throw new GateConfigError(problems);
  return { ...gateConfigSchema.parse(values), sources };
}

const show = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value));

function valid(key: GateConfigKey, value: unknown): value is number {
  return typeof value === 'number' && GATE_SETTINGS[key].range.safeParse(value).success;
}
