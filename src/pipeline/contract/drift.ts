/**
 * Contract of drift monitoring (health_predict_drift_monitoring): the batch a run takes, the
 * drift check's outcome the branch and the trigger read, and the environment its tasks read.
 * The data and drift modules own the shapes they produce; this file gathers them.
 */
import { z } from 'zod';
import { arrivalSourceSchema, arrivedBatchSchema } from '../../data/arrivals.ts';
import { DRIFT_ACTIONS } from '../../drift/alerts.ts';
import { driftDecisionLevelSchema, driftLevelSchema } from '../../drift/decide.ts';
import { ConfigurationError } from '../../runtime/errors.ts';

export { arrivalSourceSchema, arrivedBatchSchema, driftDecisionLevelSchema };

/** `take_next_batch`: the batch this run measures, and every batch taken so far. */
export const takenBatchSchema = z.object({
  batch: arrivedBatchSchema,
  source: arrivalSourceSchema,
  /** URIs of every batch taken so far, oldest first (this one last): what a retraining started by drift learns from besides the reference. */
  arrived: z.array(z.string()).min(1),
});
export type TakenBatch = z.infer<typeof takenBatchSchema>;

/** `measure_drift`: the decision, the action after the cooldown, and where the report is. */
export const driftCheckSchema = z.object({
  level: driftDecisionLevelSchema,
  drift_level: driftLevelSchema,
  score: z.number().nonnegative(),
  score_source: z.string(),
  action: z.enum(DRIFT_ACTIONS),
  action_reason: z.string(),
  reasons: z.array(z.string()),
  batch_index: z.number().int().positive(),
  batch_rows: z.number().int().nonnegative(),
  batch_f1: z.number().min(0).max(1),
  reference_f1: z.number().min(0).max(1),
  model_name: z.string(),
  production_version: z.string(),
  report_uri: z.string(),
  picture_uri: z.string(),
  mlflow_run_id: z.string(),
  /** Passed on to the improvement DAG's `training_batches` when the action is 'retrain'. */
  training_batches: z.array(z.string()).min(1),
});
export type DriftCheck = z.infer<typeof driftCheckSchema>;

/** Environment of the drift tasks besides the thresholds (src/drift/config.ts) and the pipeline's own (MODEL_NAME, MLFLOW_*). */
export const driftEnvSchema = z.object({
  /** The MLflow experiment each drift check is recorded in, one run per check. */
  DRIFT_MLFLOW_EXPERIMENT_NAME: z.string().min(1).default('health-predict-drift-monitoring'),
});
export type DriftEnv = z.infer<typeof driftEnvSchema>;

export function loadDriftEnv(env: Record<string, string | undefined> = process.env): DriftEnv {
  const result = driftEnvSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigurationError(`Invalid drift monitoring environment: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}.`);
}
