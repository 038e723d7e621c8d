import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bootstrapCi,
  bootstrapCis,
  bootstrapMetrics,
  pairedBootstrap,
  pairedBootstrapResultSchema,
  confidenceIntervalSchema,
  plainMetric,
  quantileSorted,
} from '../../../src/evaluation/bootstrap.ts';
import { Xoshiro128ss } from '../../../src/runtime/random.ts';
import { averagePrecision, confusionMatrix, f1, precision, recall, rocAuc } from '../../../src/evaluation/metrics.ts';

/** Labels with prevalence ~30 % and float32 scores that separate them with some noise (ties possible, as in real models). */
function synthetic(n: number, seed: number, signal = 0.8): { labels: Uint8Array; scores: Float64Array } {
  const rng = new Xoshiro128ss(seed);
  const u = () => rng.next() / 4294967296;
  const labels = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = u() < 0.3 ? 1 : 0;
    scores[i] = Math.fround(Math.min(1, Math.max(0, 0.35 + signal * (labels[i]! - 0.3) * 0.5 + (u() - 0.5) * 0.7)));
  }
  return { labels, scores };
}

describe('resample evaluators equal the plain metric on the repeated rows', () => {
  const data = fc.integer({ min: 2, max: 40 }).chain((n) =>
    fc.tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 8 }).map((k) => k / 8), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
    ));

  it('threshold metrics, ROC AUC, average precision and plainMetric', () => {
    fc.assert(fc.property(data, ([y, s, c]) => {
      const labels = Uint8Array.from(y), scores = Float64Array.from(s), counts = Uint32Array.from(c);
      const ye: number[] = [], se: number[] = [];
      c.forEach((k, i) => { for (let j = 0; j < k; j++) { ye.push(y[i]!); se.push(s[i]!); } });
      const cm = confusionMatrix(ye, se, 0.5);
      expect(bootstrapMetrics.f1(0.5).prepare(labels, scores)(counts)).toBeCloseTo(f1(cm), 12);
      expect(bootstrapMetrics.precision(0.5).prepare(labels, scores)(counts)).toBeCloseTo(precision(cm), 12);
      expect(bootstrapMetrics.recall(0.5).prepare(labels, scores)(counts)).toBeCloseTo(recall(cm), 12);
      const same = (a: number, b: number) => (Number.isNaN(b) ? expect(a).toBeNaN() : expect(a).toBeCloseTo(b, 12));
      same(bootstrapMetrics.rocAuc.prepare(labels, scores)(counts), rocAuc(ye, se));
      same(bootstrapMetrics.averagePrecision.prepare(labels, scores)(counts), averagePrecision(ye, se));
      const plain = plainMetric('auc', (l, sc) => rocAuc(l, sc));
      same(plain.prepare(labels, scores)(counts), rocAuc(ye, se));
    }));
  });
});

describe('bootstrapCi / bootstrapCis', () => {
  const { labels, scores } = synthetic(2000, 11);

  it('is deterministic for a seed, and the seed matters', () => {
    const a = bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 300, seed: 5 });
    const b = bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 300, seed: 5 });
    const c = bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 300, seed: 6 });
    expect(b).toEqual(a);
    expect(c.lower).not.toBe(a.lower);
    expect(confidenceIntervalSchema.parse(a)).toEqual(a);
    expect(a).toMatchObject({ resamples: 300, valid_resamples: 300, seed: 5, level: 0.95 });
  });

  it('the interval contains the point estimate and narrows with the level', () => {
    const threshold = 0.45;
    const metrics = {
      f1: bootstrapMetrics.f1(threshold),
      precision: bootstrapMetrics.precision(threshold),
      recall: bootstrapMetrics.recall(threshold),
      roc_auc: bootstrapMetrics.rocAuc,
      average_precision: bootstrapMetrics.averagePrecision,
    };
    const wide = bootstrapCis(labels, scores, metrics, { resamples: 500, seed: 1, level: 0.99 });
    const narrow = bootstrapCis(labels, scores, metrics, { resamples: 500, seed: 1, level: 0.8 });
    const cm = confusionMatrix(labels, scores, threshold);
    expect(wide.f1.estimate).toBe(f1(cm));
    expect(wide.roc_auc.estimate).toBeCloseTo(rocAuc(labels, scores), 12);
    for (const key of Object.keys(metrics) as (keyof typeof metrics)[]) {
      const w = wide[key], nr = narrow[key];
      expect(w.lower).toBeLessThanOrEqual(w.estimate);
      expect(w.upper).toBeGreaterThanOrEqual(w.estimate);
      expect(nr.lower).toBeGreaterThanOrEqual(w.lower);
      expect(nr.upper).toBeLessThanOrEqual(w.upper);
      expect(w.upper - w.lower).toBeLessThan(0.15); // 2000 rows: a few points wide
    }
  });

  it('a single metric equals the same metric inside bootstrapCis (shared resamples)', () => {
    const single = bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 200, seed: 9 });
    const many = bootstrapCis(labels, scores, { f1: bootstrapMetrics.f1(0.5), auc: bootstrapMetrics.rocAuc }, { resamples: 200, seed: 9 });
    expect(many.auc).toEqual(single);
  });

  it('skips resamples where the metric is undefined and reports how many were used', () => {
    // 1 positive in 12 rows: about a third of the resamples hold no positive at all.
    const y = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const s = [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.35, 0.45, 0.55];
    const ci = bootstrapCi(y, s, bootstrapMetrics.rocAuc, { resamples: 400, seed: 3 });
    expect(ci.valid_resamples).toBeLessThan(400);
    expect(ci.valid_resamples).toBeGreaterThan(150);
    expect(ci.estimate).toBe(1);
    expect(ci.upper).toBe(1);
  });

  it('rejects bad options and undefined metrics', () => {
    expect(() => bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { level: 1 })).toThrow(/level/);
    expect(() => bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { seed: -1 })).toThrow(/seed/);
    expect(() => bootstrapCi([0, 0, 0], [0.1, 0.2, 0.3], bootstrapMetrics.rocAuc)).toThrow(/roc_auc is undefined on these rows/);
    expect(() => bootstrapCi([], [], bootstrapMetrics.rocAuc)).toThrow(/zero rows/);
    expect(() => bootstrapCi([0, 1], [0.1], bootstrapMetrics.rocAuc)).toThrow(/differ in length/);
  });

  it('quantiles interpolate linearly like numpy.percentile', () => {
    // np.percentile([1,2,3,4,10], [2.5, 97.5, 50]) -> [1.1, 9.4, 3.0]
    expect(quantileSorted([1, 2, 3, 4, 10], 0.025)).toBeCloseTo(1.1, 12);
    expect(quantileSorted([1, 2, 3, 4, 10], 0.975)).toBeCloseTo(9.4, 12);
    expect(quantileSorted([1, 2, 3, 4, 10], 0.5)).toBe(3);
    expect(quantileSorted([5], 0.025)).toBe(5);
  });
});

describe('pairedBootstrap', () => {
  const { labels, scores: strong } = synthetic(3000, 21, 0.9);
  const weak = Float64Array.from(strong, (s, i) => Math.fround(0.5 * s + 0.5 * (((i * 2654435761) >>> 0) / 2 ** 32)));

  it('a clearly better model: positive Δ, interval above 0, p ≈ 0', () => {
    const r = pairedBootstrap(labels, strong, weak, bootstrapMetrics.rocAuc, { resamples: 1000, seed: 4 });
    expect(pairedBootstrapResultSchema.parse(r)).toEqual(r);
    expect(r.delta).toBeCloseTo(rocAuc(labels, strong) - rocAuc(labels, weak), 12);
    expect(r.delta).toBeGreaterThan(0);
    expect(r.lower).toBeGreaterThan(0);
    expect(r.lower).toBeLessThanOrEqual(r.delta);
    expect(r.upper).toBeGreaterThanOrEqual(r.delta);
    expect(r.p_value).toBeLessThan(0.01);
    expect(r).toMatchObject({ metric: 'roc_auc', resamples: 1000, valid_resamples: 1000, seed: 4, level: 0.95 });
  });

  it('identical models: Δ = 0 on every resample, p = 1', () => {
    const r = pairedBootstrap(labels, strong, strong, bootstrapMetrics.f1(0.5), { resamples: 200, seed: 1 });
    expect([r.delta, r.lower, r.upper, r.p_value]).toEqual([0, 0, 0, 1]);
  });

  it('swapping A and B mirrors the interval (same seed, same resamples)', () => {
    const ab = pairedBootstrap(labels, strong, weak, bootstrapMetrics.f1(0.5), { resamples: 500, seed: 8 });
    const ba = pairedBootstrap(labels, weak, strong, bootstrapMetrics.f1(0.5), { resamples: 500, seed: 8 });
    expect(ba.delta).toBeCloseTo(-ab.delta, 12);
    expect(ba.lower).toBeCloseTo(-ab.upper, 12);
    expect(ba.upper).toBeCloseTo(-ab.lower, 12);
    expect(ab.p_value + ba.p_value).toBeGreaterThanOrEqual(1); // Δ = 0 resamples count in both
  });

  it('is deterministic per seed', () => {
    const opts = { resamples: 300, seed: 77 };
    expect(pairedBootstrap(labels, strong, weak, bootstrapMetrics.rocAuc, opts))
      .toEqual(pairedBootstrap(labels, strong, weak, bootstrapMetrics.rocAuc, opts));
  });
});
