/**
 * The paired comparison of a candidate and the production model scored on the same held-out
 * rows: each model's metrics at its own decision threshold, the differences, a seeded paired
 * bootstrap of ΔF1 and McNemar's test. Pure and deterministic for a seed.
 */
import { z } from 'zod';
import { pairedBootstrap, thresholdMetric } from '../evaluation/bootstrap.ts';
import { applyThreshold, checkInputs, confusionMatrix, f1, precision, recall, rocAuc } from '../evaluation/metrics.ts';
import { BadDataError } from '../runtime/errors.ts';
import { type GateConfig, GateConfigError, gateConfigSchema } from './config.ts';
import { mcnemarOnPredictions, mcnemarResultSchema } from './mcnemar.ts';
import { matchedOperatingPoint, matchedOperatingPointSchema } from './operating-point.ts';

const unit = z.number().min(0).max(1);

export const modelMetricsSchema = z.object({
  /** The model's own decision threshold (predicted positive: p >= threshold). */
  threshold: z.number(),
  f1: unit,
  precision: unit,
  recall: unit,
  /** Null when the rows hold a single class (ROC AUC is undefined). */
  roc_auc: unit.nullable(),
});
export type ModelMetrics = z.infer<typeof modelMetricsSchema>;

/** Candidate − production. */
export const metricDeltasSchema = z.object({
  f1: z.number(),
  precision: z.number(),
  recall: z.number(),
  roc_auc: z.number().nullable(),
});
export type MetricDeltas = z.infer<typeof metricDeltasSchema>;

export const f1BootstrapSchema = z.object({
  metric: z.literal('f1'),
  /** ΔF1 = candidate F1 − production F1 on all rows. */
  delta: z.number(),
  /** Two-sided percentile interval of ΔF1 at `level`. */
  lower: z.number(),
  upper: z.number(),
  level: z.number().gt(0).lt(1),
  /** The one-sided lower bound of ΔF1 at `confidence_level`. */
  one_sided_lower: z.number(),
  confidence_level: z.number().gt(0).lt(1),
  /** Share of resamples with ΔF1 <= 0 (0 reads as "< 1 / valid_resamples"). */
  p_value: unit,
  resamples: z.number().int().positive(),
  valid_resamples: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
});
export type F1Bootstrap = z.infer<typeof f1BootstrapSchema>;

export const comparisonSchema = z.object({
  n: z.number().int().positive(),
  positives: z.number().int().nonnegative(),
  candidate: modelMetricsSchema,
  production: modelMetricsSchema,
  deltas: metricDeltasSchema,
  /** The candidate where production operates (operating-point.ts): tells a threshold trade-off from a weaker model. */
  matched: matchedOperatingPointSchema,
  bootstrap: f1BootstrapSchema,
  mcnemar: mcnemarResultSchema,
});
export type Comparison = z.infer<typeof comparisonSchema>;

/** A model's probabilities of the positive class on the held-out rows, and its threshold. */
export interface ScoredModel {
  readonly probabilities: ArrayLike<number>;
  readonly threshold: number;
}

export interface CompareInput {
  /** 0/1 labels of the held-out rows, in the order both models were scored. */
  readonly labels: ArrayLike<number>;
  readonly candidate: ScoredModel;
  readonly production: ScoredModel;
  readonly config: GateConfig;
}

/**
 * The two-sided percentile level whose `end` is the one-sided bound at confidence c: the
 * lower end of the (2c − 1) interval is the (1 − c) quantile. Below c = ½ that quantile lies
 * above the median, i.e. the upper end of the (1 − 2c) interval; at c = ½ it is the median,
 * an interval of (positive, vanishing) level whose ends coincide.
 */
export function oneSidedLevel(confidence: number): { level: number; end: 'lower' | 'upper' } {
  const level = Math.abs(2 * confidence - 1) || Number.MIN_VALUE;
  return { level, end: confidence >= 0.5 ? 'lower' : 'upper' };
}

/** Compares the candidate with production on the same rows; BadDataError on unusable inputs. */
export function compareModels(input: CompareInput): Comparison {
  const config = parseConfig(input.config);
  const { labels, candidate, production } = input;
  if (labels.length === 0) throw new BadDataError('Cannot compare the models on zero held-out rows; the evaluation split is empty.');
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new BadDataError(`Cannot compare the models: held-out label ${i} is ${labels[i]}; labels must be 0 or 1.`);
    }
  }
  checkModel('candidate', labels, candidate);
  checkModel('production', labels, production);

  const candidateMetrics = metricsAt(labels, candidate);
  const productionMetrics = metricsAt(labels, production);
  const candidatePredictions = applyThreshold(candidate.probabilities, candidate.threshold);
  const productionPredictions = applyThreshold(production.probabilities, production.threshold);

  // Both prediction vectors are 0/1, so a 0.5 threshold reproduces each model's own threshold.
  const { level, end } = oneSidedLevel(config.confidence_level);
  const paired = pairedBootstrap(labels, candidatePredictions, productionPredictions, thresholdMetric('f1', 0.5, f1), {
    resamples: config.bootstrap_resamples,
    seed: config.seed,
    level,
  });

  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  const candidateAuc = candidateMetrics.roc_auc;
  const productionAuc = productionMetrics.roc_auc;

  return {
    n: labels.length,
    positives,
    candidate: candidateMetrics,
    production: productionMetrics,
    deltas: {
      f1: candidateMetrics.f1 - productionMetrics.f1,
      precision: candidateMetrics.precision - productionMetrics.precision,
      recall: candidateMetrics.recall - productionMetrics.recall,
      roc_auc: candidateAuc === null || productionAuc === null ? null : candidateAuc - productionAuc,
    },
    matched: matchedOperatingPoint(labels, candidate.probabilities, productionMetrics),
    bootstrap: {
      metric: 'f1',
      delta: paired.delta,
      lower: paired.lower,
      upper: paired.upper,
      level: paired.level,
      one_sided_lower: end === 'lower' ? paired.lower : paired.upper,
      confidence_level: config.confidence_level,
      p_value: paired.p_value,
      resamples: paired.resamples,
      valid_resamples: paired.valid_resamples,
      seed: paired.seed,
    },
    mcnemar: mcnemarOnPredictions(labels, candidatePredictions, productionPredictions),
  };
}

function metricsAt(labels: ArrayLike<number>, model: ScoredModel): ModelMetrics {
  const matrix = confusionMatrix(labels, model.probabilities, model.threshold);
  const auc = rocAuc(labels, model.probabilities);
  return {
    threshold: model.threshold,
    f1: f1(matrix),
    precision: precision(matrix),
    recall: recall(matrix),
    roc_auc: Number.isNaN(auc) ? null : auc,
  };
}

function checkModel(name: string, labels: ArrayLike<number>, model: ScoredModel): void {
  if (!Number.isFinite(model.threshold)) {
    throw new BadDataError(`Cannot compare the models: the ${name} model's threshold is ${model.threshold}; it must be a finite number.`);
  }
  try {
    checkInputs(labels, model.probabilities);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new BadDataError(
      `Cannot compare the models: the ${name} model's scores do not fit the held-out rows (${error.message}); ` +
        'score both models on the same rows.',
      { cause: error },
    );
  }
}

function parseConfig(config: GateConfig): GateConfig {
  const result = gateConfigSchema.safeParse(config);
  if (result.success) return result.data;
  throw new GateConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
}
