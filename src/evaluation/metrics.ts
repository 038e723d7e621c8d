/**
 * Binary-classification metrics over labels (0/1) and scores (p(positive)), matching
 * scikit-learn's definitions; every function also takes optional per-row weights (the
 * bootstrap passes resample multiplicities), so a weighted call equals the plain call on the
 * rows repeated that many times.
 *
 * Conventions (explicit where scikit-learn warns):
 * - a row is predicted positive when `score >= threshold`;
 * - precision = tp / (tp + fp), 0 when nothing is predicted positive;
 * - recall = tp / (tp + fn), 0 when there are no positives;
 * - F1 = 2·tp / (2·tp + fp + fn) (= the harmonic mean of precision and recall when both are
 *   defined), 0 when tp + fp + fn = 0 — these three match sklearn's zero_division=0;
 * - ROC AUC is the Mann–Whitney statistic: P(score of a random positive > score of a random
 *   negative) + ½·P(tie) — average ranks for ties, exactly sklearn's roc_auc_score. NaN when
 *   either class is absent (sklearn raises);
 * - average precision = Σ_k (R_k − R_{k−1})·P_k over the distinct thresholds (no
 *   interpolation), sklearn's average_precision_score. NaN when there are no positives
 *   (sklearn warns and returns 0; NaN keeps a bootstrap from counting it);
 * - curves run from the strictest threshold (+Infinity: nothing predicted positive) down to
 *   the lowest score, one point per distinct score (sklearn's drop_intermediate=False);
 *   building a curve needs both classes (ROC) or a positive (PR), else a RangeError.
 */

export type Labels = ArrayLike<number>;
export type Scores = ArrayLike<number>;
export type Weights = ArrayLike<number>;

/** Counts (or weight sums) of the four outcomes. */
export interface ConfusionMatrix {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

// ---------------------------------------------------------------------------------------------
// validation

/** Checks labels are 0/1, scores finite and lengths (and weights, if any) agree; throws RangeError. */
export function checkInputs(labels: Labels, scores: Scores, weights?: Weights): void {
  if (labels.length !== scores.length) {
    throw new RangeError(`labels and scores differ in length (${labels.length} vs ${scores.length})`);
  }
  if (weights && weights.length !== labels.length) {
    throw new RangeError(`weights has length ${weights.length}, labels ${labels.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${y}; labels must be 0 or 1`);
    const s = scores[i]!;
    if (!Number.isFinite(s)) throw new RangeError(`score ${i} is ${s}; scores must be finite`);
    if (weights) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weight ${i} is ${w}; weights must be finite and >= 0`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// threshold metrics

/** 1 where `score >= threshold`, else 0. */
export function applyThreshold(scores: Scores, threshold: number): Uint8Array {
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]! >= threshold ? 1 : 0;
  return out;
}

/** Confusion matrix of `score >= threshold` against the labels. */
export function confusionMatrix(labels: Labels, scores: Scores, threshold: number, weights?: Weights): ConfusionMatrix {
  checkInputs(labels, scores, weights);
  if (Number.isNaN(threshold)) throw new RangeError('threshold is NaN');
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights ? weights[i]! : 1;
    const predicted = scores[i]! >= threshold;
    if (labels[i] === 1) {
      if (predicted) tp += w; else fn += w;
    } else if (predicted) fp += w; else tn += w;
  }
  return { tp, fp, tn, fn };
}

/** Confusion matrix of 0/1 predictions against 0/1 labels. */
export function confusionFromPredictions(labels: Labels, predicted: Labels, weights?: Weights): ConfusionMatrix {
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i] !== 0 && predicted[i] !== 1) throw new RangeError(`prediction ${i} is ${predicted[i]}; predictions must be 0 or 1`);
  }
  return confusionMatrix(labels, predicted, 0.5, weights);
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

export const precision = (c: ConfusionMatrix): number => ratio(c.tp, c.tp + c.fp);
export const recall = (c: ConfusionMatrix): number => ratio(c.tp, c.tp + c.fn);
export const f1 = (c: ConfusionMatrix): number => ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
export const total = (c: ConfusionMatrix): number => c.tp + c.fp + c.tn + c.fn;
/** Share of correct predictions; 0 for an empty matrix. */
export const accuracy = (c: ConfusionMatrix): number => ratio(c.tp + c.tn, total(c));
/** Share of rows predicted positive; 0 for an empty matrix. */
export const positiveRate = (c: ConfusionMatrix): number => ratio(c.tp + c.fp, total(c));
/** Share of rows that are positive; 0 for an empty matrix. */
export const prevalence = (c: ConfusionMatrix): number => ratio(c.tp + c.fn, total(c));

// ---------------------------------------------------------------------------------------------
// rank metrics

/** Row indexes sorted by ascending score (ties keep row order). */
export function rankOrder(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // A typed copy makes the comparator's reads monomorphic and fast.
  const s = Float64Array.from(scores);
  return order.sort((a, b) => s[a]! - s[b]! || a - b);
}

/** A weighted metric of data prepared once; `weights` (per row, default all 1) may change per call. */
export type WeightedEvaluator = (weights?: Weights) => number;

/** Scores sorted once: row order ascending by score, labels in that order, ends of tie groups. */
interface RankIndex {
  readonly order: Uint32Array;
  /** Labels in sorted order, as doubles: the kernels multiply by them instead of branching. */
  readonly sortedLabels: Float64Array;
  /** groupEnds[g] = one past the last sorted position of the g-th group of equal scores. */
  readonly groupEnds: Uint32Array;
  readonly ones: Uint32Array;
}

function rankIndex(labels: Labels, scores: Scores): RankIndex {
  const order = rankOrder(scores);
  const n = order.length;
  const sortedLabels = new Float64Array(n);
  const ends: number[] = [];
  for (let k = 0; k < n; k++) {
    sortedLabels[k] = labels[order[k]!]!;
    if (k > 0 && scores[order[k]!] !== scores[order[k - 1]!]) ends.push(k);
  }
  if (n > 0) ends.push(n);
  return { order, sortedLabels, groupEnds: Uint32Array.from(ends), ones: new Uint32Array(n).fill(1) };
}

/*
 * The kernels below are the bootstrap's inner loops (one call per resample), so they avoid
 * data-dependent branches: with shuffled labels a branch mispredicts often and costs several
 * times more than the multiply-by-label used here.
 */

/** Σ over positives of weight × (negative weight before them in `order`), and the class weights. */
function flatAuc(order: Uint32Array, lab: Float64Array, weights: Weights): [area: number, pos: number, neg: number] {
  let below = 0, pos = 0, area = 0;
  for (let k = 0; k < order.length; k++) {
    const w = weights[order[k]!]!;
    const p = w * lab[k]!;
    area += p * below;
    below += w - p;
    pos += p;
  }
  return [area, pos, below];
}

/**
 * ROC AUC with the sort done once (the bootstrap evaluates it per resample in O(n), without
 * branches). Ties count half: within each group of equal scores, ordering the negatives first
 * credits every tied pair and ordering the positives first credits none, so the mid-rank AUC
 * is the mean of the two flat passes (one pass when there are no ties). NaN when either class
 * has zero weight.
 */
export function prepareRocAuc(labels: Labels, scores: Scores): WeightedEvaluator {
  checkInputs(labels, scores);
  const n = labels.length;
  const s = Float64Array.from(scores);
  const y = Uint8Array.from(labels);
  const sortBy = (tieLabelFirst: 0 | 1) => {
    const order = Uint32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => s[a]! - s[b]! || (y[a] === y[b] ? a - b : y[a] === tieLabelFirst ? -1 : 1));
    return { order, lab: Float64Array.from(order, (i) => y[i]!) };
  };
  const negFirst = sortBy(0);
  let ties = false;
  for (let k = 1; k < n && !ties; k++) ties = s[negFirst.order[k]!] === s[negFirst.order[k - 1]!];
  const posFirst = ties ? sortBy(1) : undefined;
  const ones = new Uint32Array(n).fill(1);
  return (weights = ones) => {
    if (weights.length !== n) throw new RangeError(`weights has length ${weights.length}, labels ${n}`);
    const [hi, pos, neg] = flatAuc(negFirst.order, negFirst.lab, weights);
    const area = posFirst ? (hi + flatAuc(posFirst.order, posFirst.lab, weights)[0]) / 2 : hi;
    return pos > 0 && neg > 0 ? area / (pos * neg) : Number.NaN;
  };
}

/** ROC AUC (Mann–Whitney, ties counted half). NaN when a class is absent. */
export function rocAuc(labels: Labels, scores: Scores, weights?: Weights): number {
  checkInputs(labels, scores, weights);
  return prepareRocAuc(labels, scores)(weights);
}

/**
 * Average precision with the sort done once: Σ over tie groups, from the highest score, of
 * (positive weight in the group) · (precision at the group's threshold), over the positive
 * weight. NaN when positives have zero weight.
 */
export function prepareAveragePrecision(labels: Labels, scores: Scores): WeightedEvaluator {
  checkInputs(labels, scores);
  const { order, sortedLabels: lab, groupEnds, ones } = rankIndex(labels, scores);
  const n = order.length;
  return (weights = ones) => {
    if (weights.length !== n) throw new RangeError(`weights has length ${weights.length}, labels ${n}`);
    let tp = 0, all = 0, sum = 0;
    let k = n - 1;
    for (let g = groupEnds.length - 1; g >= 0; g--) {
      const start = g > 0 ? groupEnds[g - 1]! : 0;
      let gPos = 0;
      for (; k >= start; k--) {
        const w = weights[order[k]!]!;
        all += w;
        gPos += w * lab[k]!;
      }
      tp += gPos;
      sum += all > 0 ? gPos * (tp / all) : 0;
    }
    return tp > 0 ? sum / tp : Number.NaN;
  };
}

/** Average precision (step-wise area under the PR curve). NaN when there are no positives. */
export function averagePrecision(labels: Labels, scores: Scores, weights?: Weights): number {
  checkInputs(labels, scores, weights);
  return prepareAveragePrecision(labels, scores)(weights);
}

// ---------------------------------------------------------------------------------------------
// curves

export interface RocCurve {
  readonly fpr: Float64Array;
  readonly tpr: Float64Array;
  /** Descending; the first is +Infinity (the (0, 0) point). */
  readonly thresholds: Float64Array;
}

export interface PrecisionRecallCurve {
  /** Ascending (thresholds descending); starts at recall 0, precision 1 (threshold +Infinity). */
  readonly recall: Float64Array;
  readonly precision: Float64Array;
  readonly thresholds: Float64Array;
}

/** Cumulative true/false positives at each distinct score, from the highest down. */
function cumulativeCounts(labels: Labels, scores: Scores): { tps: Float64Array; fps: Float64Array; thresholds: Float64Array } {
  checkInputs(labels, scores);
  const order = rankOrder(scores);
  const tps: number[] = [0];
  const fps: number[] = [0];
  const thresholds: number[] = [Number.POSITIVE_INFINITY];
  let tp = 0, fp = 0;
  let k = order.length - 1;
  while (k >= 0) {
    const value = scores[order[k]!]!;
    for (; k >= 0 && scores[order[k]!] === value; k--) {
      if (labels[order[k]!] === 1) tp++; else fp++;
    }
    tps.push(tp);
    fps.push(fp);
    thresholds.push(value);
  }
  return { tps: Float64Array.from(tps), fps: Float64Array.from(fps), thresholds: Float64Array.from(thresholds) };
}

/** The ROC curve, one point per distinct score (plus the (0, 0) start). Needs both classes. */
export function rocCurve(labels: Labels, scores: Scores): RocCurve {
  const { tps, fps, thresholds } = cumulativeCounts(labels, scores);
  const p = tps[tps.length - 1]!;
  const n = fps[fps.length - 1]!;
  if (p === 0 || n === 0) throw new RangeError(`a ROC curve needs both classes; got ${p} positives and ${n} negatives`);
  return { fpr: fps.map((v) => v / n), tpr: tps.map((v) => v / p), thresholds };
}

/** The precision–recall curve, one point per distinct score (plus recall 0, precision 1). Needs a positive. */
export function precisionRecallCurve(labels: Labels, scores: Scores): PrecisionRecallCurve {
  const { tps, fps, thresholds } = cumulativeCounts(labels, scores);
  const p = tps[tps.length - 1]!;
  if (p === 0) throw new RangeError('a precision-recall curve needs at least one positive label');
  const precisionValues = tps.map((tp, k) => (k === 0 ? 1 : tp / (tp + fps[k]!)));
  return { recall: tps.map((v) => v / p), precision: precisionValues, thresholds };
}

/**
 * Picks at most `maxPoints` indexes of the polyline (xs[i], ys[i]), spread evenly along its
 * length, always keeping the first and last point. Deterministic; returns every index when
 * the curve is short enough.
 */
export function downsampleCurve(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = xs.length;
  if (ys.length !== n) throw new RangeError(`xs and ys differ in length (${n} vs ${ys.length})`);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`maxPoints must be an integer >= 2, got ${maxPoints}`);
  if (n <= maxPoints) return Uint32Array.from({ length: n }, (_, i) => i);
  const cumulative = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    cumulative[i] = cumulative[i - 1]! + Math.hypot(xs[i]! - xs[i - 1]!, ys[i]! - ys[i - 1]!);
  }
  const length = cumulative[n - 1]!;
  const picked: number[] = [0];
  let i = 0;
  for (let j = 1; j < maxPoints - 1; j++) {
    const target = length > 0 ? (length * j) / (maxPoints - 1) : 0;
    while (i < n - 1 && cumulative[i]! < target) i++;
    const index = length > 0 ? i : Math.round((j * (n - 1)) / (maxPoints - 1));
    if (index > picked[picked.length - 1]! && index < n - 1) picked.push(index);
  }
  picked.push(n - 1);
  return Uint32Array.from(picked);
}
