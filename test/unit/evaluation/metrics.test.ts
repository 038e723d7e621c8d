import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  applyThreshold,
  averagePrecision,
  confusionFromPredictions,
  confusionMatrix,
  downsampleCurve,
  f1,
  positiveRate,
  precision,
  precisionRecallCurve,
  prevalence,
  rankOrder,
  recall,
  rocAuc,
  rocCurve,
} from '../../../src/evaluation/metrics.ts';

/*
 * Expected values computed once with scikit-learn 1.9.1 (.venv/ml):
 *
 *   import numpy as np
 *   from sklearn.metrics import *
 *   y1 = [0,0,1,1,0,1]; s1 = [0.1,0.4,0.35,0.8,0.4,0.4]
 *   y2 = [1,0,1,1,0,0,1,0,0,1,0,1,1,0,0,0,1,0,1,0]
 *   s2 = [0.9,0.1,0.7,0.7,0.3,0.7,0.2,0.5,0.3,0.8,0.6,0.5,0.4,0.2,0.1,0.5,0.9,0.4,0.3,0.6]
 *   w2 = [1,2,0,1,3,1,1,2,1,1,0,1,2,1,1,1,1,2,1,1]
 *   for y, s in ((y1, s1), (y2, s2)):
 *     for t in (0.4, 0.5):
 *       p = (np.array(s) >= t).astype(int)
 *       tn, fp, fn, tp = confusion_matrix(y, p).ravel()
 *       precision_score(y, p), recall_score(y, p), f1_score(y, p), accuracy_score(y, p)
 *     roc_auc_score(y, s), average_precision_score(y, s)
 *     roc_curve(y, s, drop_intermediate=False)
 *     pr, rc, th = precision_recall_curve(y, s); pr[::-1], rc[::-1], th[::-1]
 *   p = (np.array(s2) >= 0.5).astype(int)
 *   roc_auc_score(y2, s2, sample_weight=w2), average_precision_score(y2, s2, sample_weight=w2)
 *   f1_score(y2, p, sample_weight=w2), precision_score(y2, p, sample_weight=w2), recall_score(y2, p, sample_weight=w2)
 */
const y1 = [0, 0, 1, 1, 0, 1];
const s1 = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4];
const y2 = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0];
const s2 = [0.9, 0.1, 0.7, 0.7, 0.3, 0.7, 0.2, 0.5, 0.3, 0.8, 0.6, 0.5, 0.4, 0.2, 0.1, 0.5, 0.9, 0.4, 0.3, 0.6];
const w2 = [1, 2, 0, 1, 3, 1, 1, 2, 1, 1, 0, 1, 2, 1, 1, 1, 1, 2, 1, 1];

const SKLEARN_THRESHOLD = [
  { y: y1, s: s1, t: 0.4, cm: { tp: 2, fp: 2, tn: 1, fn: 1 }, precision: 0.5, recall: 0.6666666666666666, f1: 0.5714285714285714, accuracy: 0.5 },
  { y: y1, s: s1, t: 0.5, cm: { tp: 1, fp: 0, tn: 3, fn: 2 }, precision: 1.0, recall: 0.3333333333333333, f1: 0.5, accuracy: 0.6666666666666666 },
  { y: y2, s: s2, t: 0.4, cm: { tp: 7, fp: 6, tn: 5, fn: 2 }, precision: 0.5384615384615384, recall: 0.7777777777777778, f1: 0.6363636363636364, accuracy: 0.6 },
  { y: y2, s: s2, t: 0.5, cm: { tp: 6, fp: 5, tn: 6, fn: 3 }, precision: 0.5454545454545454, recall: 0.6666666666666666, f1: 0.6, accuracy: 0.6 },
];

describe('metrics against scikit-learn', () => {
  it.each(SKLEARN_THRESHOLD)('confusion, precision, recall, F1, accuracy (threshold $t)', ({ y, s, t, cm, ...expected }) => {
    const c = confusionMatrix(y, s, t);
    expect(c).toEqual(cm);
    expect(precision(c)).toBeCloseTo(expected.precision, 15);
    expect(recall(c)).toBeCloseTo(expected.recall, 15);
    expect(f1(c)).toBeCloseTo(expected.f1, 15);
    expect(accuracy(c)).toBeCloseTo(expected.accuracy, 15);
  });

  it('ROC AUC and average precision (with ties)', () => {
    expect(rocAuc(y1, s1)).toBeCloseTo(0.6666666666666667, 15);
    expect(averagePrecision(y1, s1)).toBeCloseTo(0.7, 15);
    expect(rocAuc(y2, s2)).toBeCloseTo(0.7373737373737373, 15);
    expect(averagePrecision(y2, s2)).toBeCloseTo(0.75006475006475, 14);
  });

  it('sample weights', () => {
    expect(rocAuc(y2, s2, w2)).toBeCloseTo(0.7296296296296296, 15);
    expect(averagePrecision(y2, s2, w2)).toBeCloseTo(0.6832915622389306, 15);
    const c = confusionMatrix(y2, s2, 0.5, w2);
    expect(f1(c)).toBeCloseTo(0.5263157894736842, 15);
    expect(precision(c)).toBeCloseTo(0.5, 15);
    expect(recall(c)).toBeCloseTo(0.5555555555555556, 15);
  });

  it('ROC curve (drop_intermediate=False)', () => {
    const roc = rocCurve(y1, s1);
    expect(Array.from(roc.thresholds)).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    expectClose(roc.fpr, [0.0, 0.0, 0.6666666666666666, 0.6666666666666666, 1.0]);
    expectClose(roc.tpr, [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0]);
    const roc2 = rocCurve(y2, s2);
    expect(Array.from(roc2.thresholds)).toEqual([Infinity, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]);
    expectClose(roc2.fpr, [0.0, 0.0, 0.0, 0.09090909090909091, 0.2727272727272727, 0.45454545454545453, 0.5454545454545454,
      0.7272727272727273, 0.8181818181818182, 1.0]);
    expectClose(roc2.tpr, [0.0, 0.2222222222222222, 0.3333333333333333, 0.5555555555555556, 0.5555555555555556,
      0.6666666666666666, 0.7777777777777778, 0.8888888888888888, 1.0, 1.0]);
  });

  it('precision-recall curve (sklearn order reversed: thresholds descending)', () => {
    const pr = precisionRecallCurve(y1, s1);
    expectClose(pr.precision, [1.0, 1.0, 0.5, 0.6, 0.5]);
    expectClose(pr.recall, [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0]);
    expect(Array.from(pr.thresholds)).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    const pr2 = precisionRecallCurve(y2, s2);
    expectClose(pr2.precision, [1.0, 1.0, 1.0, 0.8333333333333334, 0.625, 0.5454545454545454, 0.5384615384615384, 0.5, 0.5, 0.45]);
    expectClose(pr2.recall, [0.0, 0.2222222222222222, 0.3333333333333333, 0.5555555555555556, 0.5555555555555556,
      0.6666666666666666, 0.7777777777777778, 0.8888888888888888, 1.0, 1.0]);
  });
});

describe('metric edge cases (0/0 conventions)', () => {
  it('precision, recall and F1 are 0 when undefined (sklearn zero_division=0)', () => {
    const none = { tp: 0, fp: 0, tn: 5, fn: 0 };
    expect([precision(none), recall(none), f1(none)]).toEqual([0, 0, 0]);
    expect(precision({ tp: 0, fp: 0, tn: 1, fn: 3 })).toBe(0);
    expect(recall({ tp: 0, fp: 2, tn: 1, fn: 0 })).toBe(0);
    const empty = { tp: 0, fp: 0, tn: 0, fn: 0 };
    expect([accuracy(empty), positiveRate(empty), prevalence(empty)]).toEqual([0, 0, 0]);
  });

  it('AUC and AP are NaN when a class is missing; curves refuse', () => {
    expect(rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 0], [0.1, 0.2])).toBeNaN();
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
    expect(averagePrecision([1, 1], [0.1, 0.2])).toBe(1);
    expect(() => rocCurve([1, 1], [0.1, 0.2])).toThrow(/both classes/);
    expect(() => precisionRecallCurve([0, 0], [0.1, 0.2])).toThrow(/at least one positive/);
  });

  it('validates its inputs', () => {
    expect(() => rocAuc([0, 1], [0.5])).toThrow(/differ in length/);
    expect(() => rocAuc([0, 2], [0.5, 0.6])).toThrow(/label 1 is 2/);
    expect(() => rocAuc([0, 1], [0.5, Number.NaN])).toThrow(/score 1 is NaN/);
    expect(() => confusionMatrix([0, 1], [0.5, 0.6], 0.5, [1, -1])).toThrow(/weight 1/);
    expect(() => confusionFromPredictions([0, 1], [0, 0.5])).toThrow(/prediction 1/);
  });

  it('a threshold predicts positive at score >= threshold', () => {
    expect(Array.from(applyThreshold([0.1, 0.5, 0.50001, 0.49999], 0.5))).toEqual([0, 1, 1, 0]);
    expect(confusionFromPredictions([0, 1, 1, 0], [1, 1, 0, 0])).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
  });

  it('rankOrder sorts ascending and breaks ties by row', () => {
    expect(Array.from(rankOrder([0.3, 0.1, 0.3, 0.2]))).toEqual([1, 3, 0, 2]);
  });
});

// --- properties ---------------------------------------------------------------------------------

/** Labels with both classes and scores of the same length; scores drawn from a small set to force ties. */
const labelledScores = fc
  .integer({ min: 2, max: 60 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 4 }).map((k) => k / 4)), {
        minLength: n,
        maxLength: n,
      }),
    ),
  )
  .filter(([y]) => y.includes(0) && y.includes(1));

/** O(n²) Mann–Whitney: the definition the fast version must match. */
function bruteAuc(y: number[], s: number[]): number {
  let sum = 0, pairs = 0;
  y.forEach((yi, i) => {
    if (yi !== 1) return;
    y.forEach((yj, j) => {
      if (yj !== 0) return;
      pairs++;
      sum += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

function expand(y: number[], s: number[], w: number[]): [number[], number[]] {
  const ye: number[] = [], se: number[] = [];
  w.forEach((c, i) => {
    for (let k = 0; k < c; k++) {
      ye.push(y[i]!);
      se.push(s[i]!);
    }
  });
  return [ye, se];
}

describe('metric properties', () => {
  it('AUC is in [0, 1] and equals the pairwise Mann–Whitney statistic', () => {
    fc.assert(fc.property(labelledScores, ([y, s]) => {
      const auc = rocAuc(y, s);
      expect(auc).toBeGreaterThanOrEqual(0);
      expect(auc).toBeLessThanOrEqual(1);
      expect(auc).toBeCloseTo(bruteAuc(y, s), 12);
    }));
  });

  it('AUC of reversed scores is 1 − AUC; AUC is invariant under strictly increasing transforms', () => {
    fc.assert(fc.property(labelledScores, ([y, s]) => {
      const auc = rocAuc(y, s);
      expect(rocAuc(y, s.map((v) => -v))).toBeCloseTo(1 - auc, 12);
      expect(rocAuc(y, s.map((v) => 4 * v))).toBeCloseTo(auc, 12); // ×4 is exact in binary floating point: order kept
    }));
  });

  it('AUC of swapped labels is 1 − AUC', () => {
    fc.assert(fc.property(labelledScores, ([y, s]) => {
      expect(rocAuc(y.map((v) => 1 - v), s)).toBeCloseTo(1 - rocAuc(y, s), 12);
    }));
  });

  it('perfect separation gives AUC = AP = F1 = 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.nat(), (p, n, seed) => {
      const neg = Array.from({ length: n }, (_, i) => 0.1 + (0.3 * ((i * 7919 + seed) % 97)) / 97);
      const pos = Array.from({ length: p }, (_, i) => 0.6 + (0.3 * ((i * 104729 + seed) % 89)) / 89);
      const y = [...Array(n).fill(0), ...Array(p).fill(1)] as number[];
      const s = [...neg, ...pos];
      expect(rocAuc(y, s)).toBe(1);
      expect(averagePrecision(y, s)).toBe(1);
      expect(f1(confusionMatrix(y, s, 0.5))).toBe(1);
    }));
  });

  it('F1 is the harmonic mean of precision and recall, and symmetric in labels ↔ predictions', () => {
    const binary = (n: number) => fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n });
    fc.assert(fc.property(fc.integer({ min: 0, max: 40 }).chain((n) => fc.tuple(binary(n), binary(n))), ([y, p]) => {
      const c = confusionFromPredictions(y, p);
      const value = f1(c);
      const [pr, rc] = [precision(c), recall(c)];
      expect(value).toBeCloseTo(pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0, 12);
      expect(f1(confusionFromPredictions(p, y))).toBe(value);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }));
  });

  it('integer weights equal repeating rows (AUC, AP, confusion)', () => {
    const weighted = labelledScores.chain(([y, s]) =>
      fc.tuple(fc.constant(y), fc.constant(s), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: y.length, maxLength: y.length })));
    fc.assert(fc.property(weighted, ([y, s, w]) => {
      const [ye, se] = expand(y, s, w);
      expect(confusionMatrix(y, s, 0.5, w)).toEqual(confusionMatrix(ye, se, 0.5));
      const auc = rocAuc(ye, se);
      if (Number.isNaN(auc)) expect(rocAuc(y, s, w)).toBeNaN();
      else expect(rocAuc(y, s, w)).toBeCloseTo(auc, 12);
      const ap = averagePrecision(ye, se);
      if (Number.isNaN(ap)) expect(averagePrecision(y, s, w)).toBeNaN();
      else expect(averagePrecision(y, s, w)).toBeCloseTo(ap, 12);
    }));
  });

  it('curves start at the strictest point, end at (1, 1) / recall 1, and are monotone; AP is in [0, 1]', () => {
    fc.assert(fc.property(labelledScores, ([y, s]) => {
      const roc = rocCurve(y, s);
      const last = roc.fpr.length - 1;
      expect([roc.fpr[0], roc.tpr[0], roc.fpr[last], roc.tpr[last]]).toEqual([0, 0, 1, 1]);
      for (let k = 1; k <= last; k++) {
        expect(roc.fpr[k]!).toBeGreaterThanOrEqual(roc.fpr[k - 1]!);
        expect(roc.tpr[k]!).toBeGreaterThanOrEqual(roc.tpr[k - 1]!);
        expect(roc.thresholds[k]!).toBeLessThan(roc.thresholds[k - 1]!);
      }
      const pr = precisionRecallCurve(y, s);
      expect(pr.recall[pr.recall.length - 1]).toBe(1);
      expect(pr.precision[pr.precision.length - 1]).toBeCloseTo(y.filter((v) => v === 1).length / y.length, 12);
      const ap = averagePrecision(y, s);
      expect(ap).toBeGreaterThanOrEqual(0);
      expect(ap).toBeLessThanOrEqual(1 + 1e-12);
    }));
  });

  it('downsampleCurve keeps at most maxPoints increasing indexes including both ends', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 2, max: 600 }), (n, max) => {
      const xs = Float64Array.from({ length: n }, (_, i) => (i / n) ** 2);
      const ys = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i / n));
      const keep = Array.from(downsampleCurve(xs, ys, max));
      expect(keep.length).toBeLessThanOrEqual(Math.min(n, max));
      expect(keep[0]).toBe(0);
      expect(keep[keep.length - 1]).toBe(n - 1);
      for (let k = 1; k < keep.length; k++) expect(keep[k]!).toBeGreaterThan(keep[k - 1]!);
      if (n <= max) expect(keep.length).toBe(n);
    }));
    // A flat (zero-length) curve still downsamples by index.
    expect(downsampleCurve(new Float64Array(1000), new Float64Array(1000), 10).length).toBeLessThanOrEqual(10);
  });
});

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 14));
}
