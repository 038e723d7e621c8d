/**
 * Evaluates a model on labelled rows: point metrics at the decision threshold, seeded
 * bootstrap intervals, the confusion matrix and (downsampled) ROC / PR curves, as one JSON
 * value validated by `evaluationResultSchema` (it travels as XCom, so it stays small: curves
 * hold at most `curvePoints` points, rounded to 6 decimals).
 *
 * `evaluateScores` is the pure part (labels + scores in, result out) for callers that already
 * scored the rows, e.g. the production comparison scoring both models once.
 */
import { z } from 'zod';
import { BadDataError } from '../runtime/errors.ts';
import { type BootstrapOptions, bootstrapCis, bootstrapMetrics, DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED } from './bootstrap.ts';
import {
  accuracy,
  averagePrecision,
  checkInputs,
  confusionMatrix,
  downsampleCurve,
  f1,
  type Labels,
  positiveRate,
  precision,
  precisionRecallCurve,
  prevalence,
  recall,
  rocAuc,
  rocCurve,
  type Scores,
} from './metrics.ts';
import type { FeatureRow, Scorer } from './onnx-scorer.ts';

const unit = z.number().min(0).max(1);
const count = z.number().int().nonnegative();
const interval = z.tuple([unit, unit]).refine(([lo, hi]) => lo <= hi, 'lower bound above upper bound');
/** Curve thresholds: `null` stands for +Infinity (the point where nothing is predicted positive). */
const thresholds = z.array(z.number().nullable());

export const evaluationResultSchema = z.object({
  threshold: unit,
  metrics: z.object({
    n: count,
    n_positive: count,
    f1: unit,
    precision: unit,
    recall: unit,
    roc_auc: unit,
    average_precision: unit,
    accuracy: unit,
    /** Share of rows predicted positive at the threshold. */
    positive_rate: unit,
    /** Share of rows whose label is positive. */
    prevalence: unit,
  }),
  /** Percentile bootstrap intervals, [lower, upper], at `bootstrap.level`. */
  ci: z.object({ f1: interval, precision: interval, recall: interval, roc_auc: interval }),
  bootstrap: z.object({
    resamples: z.number().int().positive(),
    seed: z.number().int().nonnegative(),
    level: z.number().gt(0).lt(1),
    /** Resamples on which each metric was defined (AUC needs both classes in the resample). */
    valid_resamples: z.object({ f1: count, precision: count, recall: count, roc_auc: count }),
  }),
  confusion: z.object({ tp: count, fp: count, tn: count, fn: count }),
  curves: z.object({
    roc: z.object({ fpr: z.array(unit), tpr: z.array(unit), thresholds }),
    pr: z.object({ recall: z.array(unit), precision: z.array(unit), thresholds }),
  }),
});
export type EvaluationResult = z.infer<typeof evaluationResultSchema>;

export const DEFAULT_CURVE_POINTS = 200;

export interface EvaluateScoresOptions {
  /** Decision threshold: predicted positive when score >= threshold. */
  readonly threshold: number;
  readonly bootstrap?: BootstrapOptions;
  /** Maximum points kept per curve; default 200. */
  readonly curvePoints?: number;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
const roundThreshold = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

function pick(values: Float64Array, keep: Uint32Array, round: (v: number) => number): number[];
function pick(values: Float64Array, keep: Uint32Array, round: (v: number) => number | null): (number | null)[];
function pick(values: Float64Array, keep: Uint32Array, round: (v: number) => number | null): (number | null)[] {
  return Array.from(keep, (i) => round(values[i]!));
}

/** Evaluates given scores. Throws BadDataError unless both classes are present. */
export function evaluateScores(labels: Labels, scores: Scores, options: EvaluateScoresOptions): EvaluationResult {
  checkInputs(labels, scores);
  const { threshold } = options;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${threshold}`);
  const confusion = confusionMatrix(labels, scores, threshold);
  const nPositive = confusion.tp + confusion.fn;
  const nNegative = confusion.tn + confusion.fp;
  if (nPositive === 0 || nNegative === 0) {
    throw new BadDataError(
      `evaluation needs both classes, but the ${labels.length} labels hold ${nPositive} positives and ${nNegative} negatives`);
  }
  const resamples = options.bootstrap?.resamples ?? DEFAULT_RESAMPLES;
  const seed = options.bootstrap?.seed ?? DEFAULT_SEED;
  const level = options.bootstrap?.level ?? DEFAULT_LEVEL;
  const cis = bootstrapCis(
    labels,
    scores,
    {
      f1: bootstrapMetrics.f1(threshold),
      precision: bootstrapMetrics.precision(threshold),
      recall: bootstrapMetrics.recall(threshold),
      roc_auc: bootstrapMetrics.rocAuc,
    },
    { resamples, seed, level },
  );
  const points = options.curvePoints ?? DEFAULT_CURVE_POINTS;
  const roc = rocCurve(labels, scores);
  const rocKeep = downsampleCurve(roc.fpr, roc.tpr, points);
  const pr = precisionRecallCurve(labels, scores);
  const prKeep = downsampleCurve(pr.recall, pr.precision, points);
  const result: EvaluationResult = {
    threshold,
    metrics: {
      n: labels.length,
      n_positive: nPositive,
      f1: f1(confusion),
      precision: precision(confusion),
      recall: recall(confusion),
      roc_auc: rocAuc(labels, scores),
      average_precision: averagePrecision(labels, scores),
      accuracy: accuracy(confusion),
      positive_rate: positiveRate(confusion),
      prevalence: prevalence(confusion),
    },
    ci: {
      f1: [cis.f1.lower, cis.f1.upper],
      precision: [cis.precision.lower, cis.precision.upper],
      recall: [cis.recall.lower, cis.recall.upper],
      roc_auc: [cis.roc_auc.lower, cis.roc_auc.upper],
    },
    bootstrap: {
      resamples,
      seed,
      level,
      valid_resamples: {
        f1: cis.f1.valid_resamples,
        precision: cis.precision.valid_resamples,
        recall: cis.recall.valid_resamples,
        roc_auc: cis.roc_auc.valid_resamples,
      },
    },
    confusion: { ...confusion },
    curves: {
      roc: { fpr: pick(roc.fpr, rocKeep, round6), tpr: pick(roc.tpr, rocKeep, round6), thresholds: pick(roc.thresholds, rocKeep, roundThreshold) },
      pr: {
        recall: pick(pr.recall, prKeep, round6),
        precision: pick(pr.precision, prKeep, round6),
        thresholds: pick(pr.thresholds, prKeep, roundThreshold),
      },
    },
  };
  return evaluationResultSchema.parse(result);
}

export interface EvaluateModelOptions {
  /** Anything that scores rows (an ONNX `Scorer`, or a stub in tests). */
  readonly scorer: Pick<Scorer, 'score'> & { readonly threshold?: number };
  readonly rows: readonly FeatureRow[];
  /** 0/1 per row (see `labelsFromRows`). */
  readonly labels: Labels;
  /** Default: the scorer's threshold (the model metadata's). */
  readonly threshold?: number;
  readonly bootstrap?: BootstrapOptions;
  readonly curvePoints?: number;
}

/** Scores `rows` with the model and evaluates the scores against `labels`. */
export async function evaluateModel(options: EvaluateModelOptions): Promise<EvaluationResult> {
  const { scorer, rows, labels } = options;
  if (labels.length !== rows.length) {
    throw new BadDataError(`${rows.length} rows but ${labels.length} labels; each row needs one label`);
  }
  const threshold = options.threshold ?? scorer.threshold;
  if (threshold === undefined) throw new RangeError('no threshold: pass `threshold` or a scorer that carries one');
  const scores = await scorer.score(rows);
  return evaluateScores(labels, scores, {
    threshold,
    ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
    ...(options.curvePoints !== undefined ? { curvePoints: options.curvePoints } : {}),
  });
}

/** The 0/1 labels from each row's `target` column (0, 1, "0" or "1"); BadDataError naming the row otherwise. */
export function labelsFromRows(rows: readonly FeatureRow[], target: string): Uint8Array {
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    const raw = row[target];
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (value === 1 || value === '1') labels[i] = 1;
    else if (value !== 0 && value !== '0') {
      throw new BadDataError(`row ${i}, target column "${target}": ${JSON.stringify(raw) ?? 'missing'} is not a 0/1 label`);
    }
  });
  return labels;
}
