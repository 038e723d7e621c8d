/**
 * One drift check as a report. `measureDrift` measures: the drift of every feature and of the
 * production model's predicted probabilities against its training rows, the model's F1 on the
 * labelled batch (concept drift), and the decision. The report adds what the caller knows — the
 * batch, the production model, the time — and the action taken after the cooldown (alerts.ts,
 * decided apart so the caller can hold back a trigger). It is what the drift monitoring writes
 * to the object store and to MLflow, and what its picture (picture.ts) is drawn from, so it keeps
 * every bin. Pure: the caller reads the rows and scores them.
 */
import { z } from 'zod';
import type { FeatureSpec } from '../data/schema.ts';
import { labelsFromRows } from '../evaluation/evaluate.ts';
import { confusionMatrix, f1, precision, recall } from '../evaluation/metrics.ts';
import { BadDataError } from '../runtime/errors.ts';
import { driftActionSchema } from './alerts.ts';
import { driftThresholdsSchema, type DriftThresholds } from './config.ts';
import { decideDrift, driftDecisionSchema } from './decide.ts';
import { type FeatureRow, featureDrift, featureDriftSchema, predictionDrift, predictionDriftSchema } from './feature-drift.ts';

const unit = z.number().min(0).max(1);

export const driftPerformanceSchema = z.object({
  /** The production model's F1 on the batch at its decision threshold. */
  batch_f1: unit,
  /** Its F1 on its own test split, as recorded when it was trained. */
  reference_f1: unit,
  precision: unit,
  recall: unit,
  threshold: unit,
  batch_rows: z.number().int().positive(),
  batch_positives: z.number().int().nonnegative(),
});
export type DriftPerformance = z.infer<typeof driftPerformanceSchema>;

/** What measureDrift computes: the statistics, the batch performance and the decision, with the thresholds used. */
export const driftMeasurementSchema = z.object({
  thresholds: driftThresholdsSchema,
  /** In the feature spec's order (numeric, then categorical), each with its bins. */
  features: z.array(featureDriftSchema).min(1),
  prediction: predictionDriftSchema,
  performance: driftPerformanceSchema,
  decision: driftDecisionSchema,
});
export type DriftMeasurement = z.infer<typeof driftMeasurementSchema>;

/** The measurement with the context the caller knows: the batch, the production model, the time, and the action taken (alerts.ts). */
export const driftReportSchema = driftMeasurementSchema.extend({
  created_at: z.iso.datetime({ offset: true }),
  batch: z.object({ index: z.number().int().nonnegative(), uri: z.string().min(1), rows: z.number().int().positive() }),
  production: z.object({
    model_name: z.string().min(1),
    version: z.string().min(1),
    run_id: z.string().min(1),
    /** The rows the production model was trained on: the reference every batch is compared with. */
    reference_uri: z.string().min(1),
    reference_rows: z.number().int().positive(),
  }),
  action: driftActionSchema,
});
export type DriftReport = z.infer<typeof driftReportSchema>;

export interface MeasureDriftInput {
  /** The production model's training rows (clean column names). */
  readonly reference: readonly FeatureRow[];
  /** The arrived batch, with its target column. */
  readonly batch: readonly FeatureRow[];
  /** The feature spec (src/data/schema.ts): which columns are numeric, categorical, the target. */
  readonly features: Pick<FeatureSpec, 'numeric' | 'categorical' | 'target'>;
  /** The production model's p(positive) for each reference row (or a sample of them). */
  readonly referenceProbabilities: ArrayLike<number>;
  /** Its p(positive) for each batch row, in the batch's order. */
  readonly batchProbabilities: ArrayLike<number>;
  /** 0/1 per batch row; default: the batch's target column. */
  readonly batchLabels?: ArrayLike<number>;
  /** The production model's decision threshold: p >= threshold is predicted positive. */
  readonly threshold: number;
  /** Its F1 on its test split, recorded when it was trained. */
  readonly referenceF1: number;
  readonly thresholds: DriftThresholds;
}

/** Feature, prediction and performance drift of the batch against the reference, and the decision. */
export function measureDrift(input: MeasureDriftInput): DriftMeasurement {
  const features = featureDrift(input.reference, input.batch, input.features);
  const prediction = predictionDrift(Array.from(input.referenceProbabilities), Array.from(input.batchProbabilities));
  const performance = batchPerformance(input);
  const decision = decideDrift({ features, prediction, performance: { batch_f1: performance.batch_f1, reference_f1: performance.reference_f1 } }, input.thresholds);
  return driftMeasurementSchema.parse({ thresholds: input.thresholds, features, prediction, performance, decision });
}

function batchPerformance(input: MeasureDriftInput): DriftPerformance {
  const { batch, batchProbabilities: scores, threshold, referenceF1 } = input;
  if (scores.length !== batch.length) {
    throw new BadDataError(`The batch has ${batch.length} rows but ${scores.length} predicted probabilities: score every batch row with the production model, in order.`);
  }
  const labels = input.batchLabels ?? labelsFromRows(batch, input.features.target);
  if (labels.length !== batch.length) throw new BadDataError(`The batch has ${batch.length} rows but ${labels.length} labels; each row needs one label.`);
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new BadDataError(`The production model's decision threshold is ${threshold}, not a probability from 0 to 1: check the threshold recorded with the production version.`);
  }
  if (!(referenceF1 >= 0 && referenceF1 <= 1)) {
    throw new BadDataError(`The production model's recorded test F1 is ${referenceF1}, not a number from 0 to 1: check the test_f1 metric of its run.`);
  }
  const matrix = confusionMatrix(labels, scores, threshold);
  return {
    batch_f1: f1(matrix),
    reference_f1: referenceF1,
    precision: precision(matrix),
    recall: recall(matrix),
    threshold,
    batch_rows: batch.length,
    batch_positives: matrix.tp + matrix.fn,
  };
}
