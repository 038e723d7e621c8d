/**
 * Contract of the data and training stages: the prepared data's manifest, the trainer's result
 * and the champion's evaluation. The data, training and evaluation modules own the shapes they
 * produce; this file gathers them with the task outputs built on them.
 */
import { z } from 'zod';
import { manifestSchema } from '../../data/manifest.ts';
import { splitSpecSchema } from '../../data/split.ts';
import { evaluationResultSchema } from '../../evaluation/evaluate.ts';
import { modelTypeSchema, trainingResultSchema } from '../../training/trainer-protocol.ts';

export { manifestSchema, modelTypeSchema, splitSpecSchema, trainingResultSchema };

/** `evaluate_model_performance`: the champion by validation F1 and its test metrics. */
export const championEvaluationSchema = z.object({
  champion: z.object({
    model_type: modelTypeSchema,
    run_id: z.string(),
    val_f1: z.number(),
    threshold: z.number(),
    /** Artifact paths inside the run, and the same as full artifact URIs. */
    onnx_path: z.string(),
    metadata_path: z.string(),
    onnx_uri: z.string(),
    metadata_uri: z.string(),
    plots: z.array(z.string()),
  }),
  candidates: z.array(z.object({ model_type: modelTypeSchema, run_id: z.string(), val_f1: z.number() })),
  test: evaluationResultSchema.omit({ curves: true }),
});
export type ChampionEvaluation = z.infer<typeof championEvaluationSchema>;
