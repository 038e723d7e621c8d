/**
 * Configuration of the quality gates: the schema with its defaults and the resolver that
 * reads it from the task's environment, with the DAG run's params overriding the environment
 * (a param that is absent or null leaves the environment's value in place).
 */
import { z } from 'zod';
import { NonRetryableError } from '../runtime/errors.ts';

export const gateConfigSchema = z.object({
  /** Minimum F1 gain over production (candidate − production) required to deploy. */
  improvement_threshold: z.number().min(0).max(1).default(0.02),
  /** One-sided confidence of the bootstrap lower bound of ΔF1; the p-value must be below 1 − it. */
  confidence_level: z.number().gt(0).lt(1).default(0.95),
  /** Fewer held-out rows than this → SKIP. */
  min_sample_size: z.number().int().positive().default(1000),
  /** Production older than this many days may be refreshed by a candidate at least as good. */
  max_days_since_update: z.number().int().positive().default(30),
  /** The largest tolerated drop of precision, recall or ROC AUC versus production. */
  max_degradation: z.number().min(0).max(1).default(0.05),
  bootstrap_resamples: z.number().int().min(10_000).default(10_000),
  seed: z.number().int().min(0).max(0xffffffff).default(42),
});
export type GateConfig = z.output<typeof gateConfigSchema>;
export type GateConfigKey = keyof GateConfig;

/** The environment variable of each setting. */
export const GATE_ENV_VARS = {
  improvement_threshold: 'MODEL_IMPROVEMENT_THRESHOLD',
  confidence_level: 'CONFIDENCE_LEVEL',
  min_sample_size: 'MIN_SAMPLE_SIZE',
  max_days_since_update: 'MAX_DAYS_SINCE_UPDATE',
  max_degradation: 'MAX_METRIC_DEGRADATION',
  bootstrap_resamples: 'GATE_BOOTSTRAP_RESAMPLES',
  seed: 'GATE_SEED',
} as const satisfies Record<GateConfigKey, string>;

/** The settings a DAG run's params may override. */
export const GATE_PARAM_KEYS = ['improvement_threshold', 'confidence_level', 'min_sample_size', 'max_days_since_update'] as const;
export type GateParamKey = (typeof GATE_PARAM_KEYS)[number];
export type GateParams = Partial<Record<GateParamKey, number | null>>;

const EXPECTED: Record<GateConfigKey, string> = {
  improvement_threshold: 'a number from 0 to 1',
  confidence_level: 'a number strictly between 0 and 1',
  min_sample_size: 'a whole number greater than 0',
  max_days_since_update: 'a whole number of days greater than 0',
  max_degradation: 'a number from 0 to 1',
  bootstrap_resamples: 'a whole number of at least 10000',
  seed: 'a whole number from 0 to 4294967295',
};

export type ConfigSource = 'param' | 'env' | 'default';

/** The resolved settings and where each came from. */
export type ResolvedGateConfig = GateConfig & { readonly sources: Record<GateConfigKey, ConfigSource> };

/** One or more gate settings are invalid; the message names every one. */
export class GateConfigError extends NonRetryableError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid quality-gate configuration: ${problems.join('; ')}. ` +
        'Fix the environment variable or the DAG param named (a DAG param, when set, overrides the environment variable).',
    );
  }
}

const GATE_KEYS = Object.keys(GATE_ENV_VARS) as GateConfigKey[];

/** Resolves the gate settings: DAG param (when present and not null), else env var (when non-blank), else default. */
export function resolveGateConfig(env: Record<string, string | undefined>, params: GateParams = {}): ResolvedGateConfig {
  const problems: string[] = [];
  const values: Partial<Record<GateConfigKey, number>> = {};
  const sources = {} as Record<GateConfigKey, ConfigSource>;
  for (const key of GATE_KEYS) {
    const envName = GATE_ENV_VARS[key];
    const rawEnv = env[envName]?.trim();
    // Env vars are checked even when a param overrides them: the environment is shared by
    // every run, so a bad value there is a configuration error now, not only when it is used.
    let envValue: number | undefined;
    if (rawEnv) {
      const parsed = Number(rawEnv);
      if (valid(key, parsed)) envValue = parsed;
      else problems.push(`environment variable ${envName}=${JSON.stringify(env[envName])} must be ${EXPECTED[key]}`);
    }
    const paramValue = (GATE_PARAM_KEYS as readonly string[]).includes(key) ? params[key as GateParamKey] : undefined;
    if (paramValue !== undefined && paramValue !== null) {
      if (valid(key, paramValue)) {
        values[key] = paramValue;
        sources[key] = 'param';
      } else {
        problems.push(`DAG param ${key}=${show(paramValue)} must be ${EXPECTED[key]}`);
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
  return typeof value === 'number' && gateConfigSchema.shape[key].safeParse(value).success;
}
