/**
 * Configuration of the continuous-improvement pipeline: the environment the task scripts
 * read (zod-validated, with the production defaults) and the DAG params users can override
 * per run from Airflow's trigger form.
 */
import { z } from 'zod';
import { param } from '../dsl/index.ts';
import { deployTargetSchema } from './deploy-target.ts';

const positiveInt = z.coerce.number().int().positive();
const fraction = z.coerce.number().min(0).max(1);

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
  MODEL_IMPROVEMENT_THRESHOLD: fraction.default(0.02),
  CONFIDENCE_LEVEL: z.coerce.number().gt(0).lt(1).default(0.95),
  MIN_SAMPLE_SIZE: positiveInt.default(1000),
  MAX_DAYS_SINCE_UPDATE: positiveInt.default(30),
  ECR_REPOSITORY: z.string().min(1).default('health-predict-api'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type PipelineEnv = z.infer<typeof pipelineEnvSchema>;

export class PipelineConfigError extends Error {}

/** Reads and validates the pipeline environment; names every bad variable. */
export function loadPipelineEnv(env: Record<string, string | undefined> = process.env): PipelineEnv {
  const result = pipelineEnvSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new PipelineConfigError(`Invalid pipeline environment: ${problems.join('; ')}.`);
}

export const NOTIFICATION_CHANNELS = ['log', 'email', 'slack'] as const;

/** Per-run overrides shown in Airflow's trigger form. */
export const pipelineParams = {
  raw_data_uri: param(z.string().regex(/^(s3:\/\/|file:\/\/\/)/).default('s3://health-predict-data/raw/diabetic_data.csv'), 'The raw UCI diabetes CSV (s3://… or file:///…).'),
  prepared_data_uri: param(z.string().regex(/^(s3:\/\/|file:\/\/\/)/).default('s3://health-predict-data/prepared'), 'Where each run writes its splits and manifest (under <uri>/<run id>/).'),
  improvement_threshold: param(z.number().min(0).max(1).default(0.02), 'Minimum F1 gain over production required to deploy.'),
  force_deployment: param(z.boolean().default(false), 'Deploy even if the quality gates say no (recorded as forced).'),
  skip_api_tests: param(z.boolean().default(false), 'Emergency only: skip the local API test of the new image.'),
  notification_channels: param(z.array(z.enum(NOTIFICATION_CHANNELS)).default(['log']), 'Where to send the outcome.'),
  deploy_target: param(
    deployTargetSchema.default('kubernetes'),
    "How far the deploy path goes after promotion: 'kubernetes' (image, API test, ECR push, rollout), 'ecr' (stop after the push), 'registry' (promote in MLflow only).",
  ),
  rollback_on_failure: param(z.boolean().default(true), 'Roll back automatically when the deployment fails verification.'),
};
