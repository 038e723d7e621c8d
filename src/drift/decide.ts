/**
 * The drift decision. The score is the largest PSI among the features and the production
 * model's predicted probabilities — the worst-drifted distribution decides, so one feature
 * moving a lot is not averaged away by forty that did not move (a mean of 44 PSIs would need a
 * large shift in many features to reach a level). The score maps to a level:
 *   NONE < minor ≤ MINOR < moderate ≤ MODERATE < major ≤ MAJOR.
 * PERFORMANCE_DROP wins over any level when the production model's F1 on the (labelled) batch
 * is more than `performance_drop` below its recorded test F1: concept drift is what a
 * retraining must answer, whatever the inputs did. `drift_level` keeps the distribution level.
 */
import { z } from 'zod';
import { DRIFT_SETTINGS, driftThresholdsSchema, type DriftThresholds } from './config.ts';
import { featureDriftSchema, predictionDriftSchema } from './feature-drift.ts';

/** At most this many features are named in `worst_features`. */
export const WORST_FEATURES = 5;

export const DRIFT_LEVELS = ['NONE', 'MINOR', 'MODERATE', 'MAJOR'] as const;
export const driftLevelSchema = z.enum(DRIFT_LEVELS);
export type DriftLevel = z.infer<typeof driftLevelSchema>;
export const driftDecisionLevelSchema = z.enum([...DRIFT_LEVELS, 'PERFORMANCE_DROP']);

const unit = z.number().min(0).max(1);

export const driftEvidenceSchema = z.object({
  features: z.array(featureDriftSchema).min(1),
  prediction: predictionDriftSchema,
  performance: z.object({ batch_f1: unit, reference_f1: unit }),
});
export type DriftEvidence = z.infer<typeof driftEvidenceSchema>;

export const driftDecisionSchema = z.object({
  level: driftDecisionLevelSchema,
  /** The level from the PSI score alone (what `level` would be without the F1 check). */
  drift_level: driftLevelSchema,
  /** The largest PSI of any feature or of the predicted probabilities. */
  score: z.number().nonnegative(),
  /** Where the score comes from: a feature name, or 'prediction'. */
  score_source: z.string(),
  /** Features whose PSI reached the minor threshold, worst first (at most WORST_FEATURES). */
  worst_features: z.array(z.object({ feature: z.string(), psi: z.number().nonnegative(), p_value: unit })),
  /** reference_f1 − batch_f1 (negative: the model did better on the batch). */
  f1_drop: z.number(),
  reasons: z.array(z.string()).min(1),
});
export type DriftDecision = z.infer<typeof driftDecisionSchema>;

/** The level of a PSI score. */
export function levelOf(score: number, thresholds: DriftThresholds): DriftLevel {
  if (score >= thresholds.major) return 'MAJOR';
  if (score >= thresholds.moderate) return 'MODERATE';
  if (score >= thresholds.minor) return 'MINOR';
  return 'NONE';
}

export function decideDrift(evidence: DriftEvidence, thresholds: DriftThresholds): DriftDecision {
  const { features, prediction, performance } = driftEvidenceSchema.parse(evidence);
  driftThresholdsSchema.parse(thresholds);
  const byPsi = [...features].sort((a, b) => b.psi - a.psi);
  const worstFeature = byPsi[0]!;
  const [score, scoreSource] = prediction.psi > worstFeature.psi ? [prediction.psi, 'prediction'] : [worstFeature.psi, worstFeature.feature];
  const driftLevel = levelOf(score, thresholds);
  const f1Drop = performance.reference_f1 - performance.batch_f1;
  const performanceDropped = f1Drop > thresholds.performance_drop;

  const reasons = [
    `${scoreSource === 'prediction' ? 'the predicted-probability PSI' : `the largest feature PSI ('${scoreSource}')`} is ${round(score)}: ${describeLevel(driftLevel, thresholds)}`,
    `feature PSI max ${round(worstFeature.psi)} ('${worstFeature.feature}'), predicted-probability PSI ${round(prediction.psi)} (KS p = ${round(prediction.p_value)})`,
    performanceDropped
      ? `PERFORMANCE_DROP: production F1 on the batch ${round(performance.batch_f1)} is ${round(f1Drop)} below its test F1 ${round(performance.reference_f1)} (more than ${DRIFT_SETTINGS.performance_drop.env} = ${thresholds.performance_drop})`
      : `production F1 on the batch ${round(performance.batch_f1)} vs its test F1 ${round(performance.reference_f1)}: a drop of ${round(f1Drop)}, within ${DRIFT_SETTINGS.performance_drop.env} = ${thresholds.performance_drop}`,
  ];
  return {
    level: performanceDropped ? 'PERFORMANCE_DROP' : driftLevel,
    drift_level: driftLevel,
    score,
    score_source: scoreSource,
    worst_features: byPsi
      .filter((f) => f.psi >= thresholds.minor)
      .slice(0, WORST_FEATURES)
      .map((f) => ({ feature: f.feature, psi: f.psi, p_value: f.p_value })),
    f1_drop: f1Drop,
    reasons,
  };
}

function describeLevel(level: DriftLevel, t: DriftThresholds): string {
  const { minor, moderate, major } = DRIFT_SETTINGS;
  switch (level) {
    case 'NONE':
      return `NONE (below ${minor.env} = ${t.minor})`;
    case 'MINOR':
      return `MINOR (at least ${minor.env} = ${t.minor}, below ${moderate.env} = ${t.moderate})`;
    case 'MODERATE':
      return `MODERATE (at least ${moderate.env} = ${t.moderate}, below ${major.env} = ${t.major})`;
    case 'MAJOR':
      return `MAJOR (at least ${major.env} = ${t.major})`;
  }
}

const round = (x: number) => Number(x.toPrecision(3));
