/**
 * The environment the continuous-improvement pipeline's task scripts read, zod-validated, with
 * the production defaults. (The DAG params users override per run live with the DAG, in
 * health-predict.dag.ts.)
 */
import { z } from 'zod';
import { ConfigurationError } from '../../runtime/errors.ts';
import { GATE_SETTINGS, type GateConfigKey } from './gates.ts';

const positiveInt = z.coerce.number().int().positive();

/** A gate setting read from its environment variable: same range and default as everywhere else. */
const gateSettingFromEnv = (key: GateConfigKey) => z.coerce.number().pipe(GATE_SETTINGS[key].range).default(GATE_SETTINGS[key].default);

/** Environment variables of the pipeline's tasks, with production defaults. */
export const pipelineEnvSchema = z.object({
  MLFLOW_TRACKING_URI: z.string().url().default('http://127.0.0.1:5000'),
  MLFLOW_EXPERIMENT_NAME: z.string().min(1).default('health-predict'),
  MODEL_NAME: z.string().min(1).default('health-predict-readmission'),
  /** Also move the deprecated registry stages (Production/Archived) for MLflow-2-era consumers. */
  MLFLOW_SYNC_STAGES: z.stringbool().default(false),
  /** Model types to train: comma-separated lr, rf, xgb (the seed's debug mode trains lr only). */
  TRAINING_MODEL_TYPES: z
    .string()
    .default('lr,rf,xgb')
    .transform((value) => value.split(',').map((type) => type.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['lr', 'rf', 'xgb'])).min(1)),
  TRAINING_SEED: z.coerce.number().int().nonnegative().default(42),
  /** Python of the ML environment; default: the checkout's .venv/ml. */
  HEALTH_PREDICT_TRAINER_PYTHON: z.string().min(1).optional(),
  RAY_NUM_SAMPLES: positiveInt.default(2),
  RAY_MAX_EPOCHS: positiveInt.default(10),
  RAY_GRACE_PERIOD: positiveInt.default(5),
  [GATE_SETTINGS.improvement_threshold.env]: gateSettingFromEnv('improvement_threshold'),
  [GATE_SETTINGS.confidence_level.env]: gateSettingFromEnv('confidence_level'),
  [GATE_SETTINGS.min_sample_size.env]: gateSettingFromEnv('min_sample_size'),
  [GATE_SETTINGS.max_days_since_update.env]: gateSettingFromEnv('max_days_since_update'),
  /** Seconds the whole local API test of a new image may take (container start included). */
  API_TEST_TIMEOUT: positiveInt.default(300),
  /** Retries of the local API test's transient failures (a refused or reset connection), each check on its own. */
  API_TEST_RETRIES: z.coerce.number().int().nonnegative().default(3),
  /** The local API test fails when the p95 latency of its sequential predictions exceeds this. */
  API_TEST_P95_MS: positiveInt.default(500),
  ECR_REPOSITORY: z.string().min(1).default('health-predict-api'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type PipelineEnv = z.infer<typeof pipelineEnvSchema>;

/** A pipeline environment variable is invalid: fix it; a retry would read the same value. */
export class PipelineConfigError extends ConfigurationError {}

/** Reads and validates the pipeline environment; names every bad variable. */
export function loadPipelineEnv(env: Record<string, string | undefined> = process.env): PipelineEnv {
  const result = pipelineEnvSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new PipelineConfigError(`Invalid pipeline environment: ${problems.join('; ')}.`);
}
