/**
 * The candidate at production's operating point. Precision and recall at each model's own
 * threshold move together along its precision–recall curve: a candidate whose threshold sits
 * higher flags fewer rows, so its recall falls while its precision rises, without its curve
 * being any lower. To tell that trade-off from a weaker model, the degradation rule also asks
 * how the candidate does where production operates: its best recall among thresholds that
 * keep production's precision, and its best precision among thresholds that keep production's
 * recall. Pure and deterministic.
 */
import { z } from 'zod';
import { precisionRecallCurve } from '../evaluation/metrics.ts';

const unit = z.number().min(0).max(1);

export const matchedOperatingPointSchema = z.object({
  /** The candidate's highest recall at any threshold where its precision ≥ production's; null without positives. */
  recall_at_production_precision: unit.nullable(),
  /** The candidate's highest precision at any threshold where its recall ≥ production's; null without positives. */
  precision_at_production_recall: unit.nullable(),
});
export type MatchedOperatingPoint = z.infer<typeof matchedOperatingPointSchema>;

/** Curve values within this of the target count as reaching it (they carry rounding noise). */
const MATCH_TOLERANCE = 1e-9;

export function matchedOperatingPoint(
  labels: ArrayLike<number>,
  candidateProbabilities: ArrayLike<number>,
  production: { readonly precision: number; readonly recall: number },
): MatchedOperatingPoint {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  if (positives === 0) return { recall_at_production_precision: null, precision_at_production_recall: null };
  const curve = precisionRecallCurve(labels, candidateProbabilities);
  // The curve starts at recall 0 with precision 1 and ends at recall 1, so both maxima exist.
  let recallAtPrecision = 0;
  let precisionAtRecall = 0;
  for (let k = 0; k < curve.recall.length; k++) {
    const recall = curve.recall[k]!;
    const precision = curve.precision[k]!;
    if (precision >= production.precision - MATCH_TOLERANCE) recallAtPrecision = Math.max(recallAtPrecision, recall);
    if (recall >= production.recall - MATCH_TOLERANCE) precisionAtRecall = Math.max(precisionAtRecall, precision);
  }
  return { recall_at_production_precision: recallAtPrecision, precision_at_production_recall: precisionAtRecall };
}
