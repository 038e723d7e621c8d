/**
 * What the Python trainer (`python -m health_predict_trainer train`) prints and writes.
 * Progress: one JSON object per stdout line. Result: a JSON file. Both validated here.
 */
import { z } from 'zod';

export const MODEL_TYPES = ['lr', 'rf', 'xgb'] as const;
export const modelTypeSchema = z.enum(MODEL_TYPES);
export type ModelType = z.infer<typeof modelTypeSchema>;

export const trainerEventSchema = z.discriminatedUnion('event', [
  z.looseObject({ event: z.literal('start'), model_types: z.array(modelTypeSchema), trials_per_type: z.number().int() }),
  z.looseObject({
    event: z.literal('trial_result'),
    model_type: modelTypeSchema,
    trial: z.number().int(),
    trials: z.number().int(),
    epoch: z.number().int(),
    val_f1: z.number(),
    best_val_f1: z.number(),
  }),
  z.looseObject({
    event: z.literal('model_done'),
    model_type: modelTypeSchema,
    run_id: z.string(),
    val_f1: z.number(),
    threshold: z.number(),
    trials_run: z.number().int(),
    trials_stopped_early: z.number().int(),
  }),
  z.looseObject({ event: z.literal('done') }),
]);
export type TrainerEvent = z.infer<typeof trainerEventSchema>;

export const trainedModelSchema = z.object({
  model_type: modelTypeSchema,
  run_id: z.string().min(1),
  val_f1: z.number().min(0).max(1),
  val_auc: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  artifact_uri: z.string().min(1),
  onnx_path: z.string().min(1),
  metadata_path: z.string().min(1),
  parity_max_abs_diff: z.number().nonnegative(),
  trials_run: z.number().int().nonnegative(),
  trials_stopped_early: z.number().int().nonnegative(),
  best_params: z.record(z.string(), z.unknown()),
});
export type TrainedModel = z.infer<typeof trainedModelSchema>;

export const trainingResultSchema = z.object({
  experiment_id: z.string().min(1),
  dag_run_id: z.string(),
  models: z.array(trainedModelSchema).min(1),
});
export type TrainingResult = z.infer<typeof trainingResultSchema>;
