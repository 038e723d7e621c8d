/** compareModels: per-model metrics at each model's own threshold, paired bootstrap of ΔF1, McNemar. */
import { describe, expect, it } from 'vitest';
import { pairedBootstrap, thresholdMetric } from '../../../src/evaluation/bootstrap.ts';
import { applyThreshold, confusionMatrix, f1, precision, recall, rocAuc } from '../../../src/evaluation/metrics.ts';
import { compareModels, comparisonSchema, type GateConfig, mcnemarOnPredictions, oneSidedLevel } from '../../../src/gates/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { DEFAULT_CONFIG, scoredRows } from './fixtures.ts';

const compare = (rows: ReturnType<typeof scoredRows>, config: GateConfig = DEFAULT_CONFIG, thresholds = { candidate: 0.5, production: 0.45 }) =>
  compareModels({
    labels: rows.labels,
    candidate: { probabilities: rows.candidate, threshold: thresholds.candidate },
    production: { probabilities: rows.production, threshold: thresholds.production },
    config,
  });

describe('compareModels', () => {
  const rows = scoredRows(1500, 3, { candidateSignal: 0.4, productionSignal: 0.3 });

  it('scores each model at its own threshold, with the deltas candidate − production', () => {
    const result = comparisonSchema.parse(compare(rows));
    const own = (scores: Float64Array, t: number) => {
      const m = confusionMatrix(rows.labels, scores, t);
      return { threshold: t, f1: f1(m), precision: precision(m), recall: recall(m), roc_auc: rocAuc(rows.labels, scores) };
    };
    expect(result.candidate).toEqual(own(rows.candidate, 0.5));
    expect(result.production).toEqual(own(rows.production, 0.45));
    expect(result.n).toBe(1500);
    expect(result.positives).toBe(rows.labels.reduce((a, b) => a + b, 0));
    expect(result.deltas.f1).toBe(result.candidate.f1 - result.production.f1);
    expect(result.deltas.recall).toBe(result.candidate.recall - result.production.recall);
    expect(result.deltas.roc_auc).toBe(result.candidate.roc_auc! - result.production.roc_auc!);
  });

  it('bootstraps ΔF1 on the two prediction vectors; the one-sided bound is the lower end of the 2c − 1 interval', () => {
    const config = { ...DEFAULT_CONFIG, bootstrap_resamples: 12_000, seed: 9, confidence_level: 0.975 };
    const result = compare(rows, config);
    const direct = pairedBootstrap(
      rows.labels,
      applyThreshold(rows.candidate, 0.5),
      applyThreshold(rows.production, 0.45),
      thresholdMetric('f1', 0.5, f1),
      { resamples: 12_000, seed: 9, level: 0.95 },
    );
    expect(result.bootstrap).toEqual({
      metric: 'f1',
      delta: direct.delta,
      lower: direct.lower,
      upper: direct.upper,
      level: expect.closeTo(0.95, 12),
      one_sided_lower: direct.lower,
      confidence_level: 0.975,
      p_value: direct.p_value,
      resamples: 12_000,
      valid_resamples: 12_000,
      seed: 9,
    });
    expect(result.bootstrap.delta).toBeCloseTo(result.deltas.f1, 14);
    expect(result.mcnemar).toEqual(mcnemarOnPredictions(rows.labels, applyThreshold(rows.candidate, 0.5), applyThreshold(rows.production, 0.45)));
  });

  it('finds a clearly better candidate better, and an identical one no better', () => {
    const better = compare(scoredRows(3000, 5, { candidateSignal: 0.5, productionSignal: 0.2 }), DEFAULT_CONFIG, { candidate: 0.5, production: 0.5 });
    expect(better.deltas.f1).toBeGreaterThan(0.1);
    expect(better.bootstrap.one_sided_lower).toBeGreaterThan(0);
    expect(better.bootstrap.p_value).toBeLessThan(0.01);
    expect(better.mcnemar.b).toBeGreaterThan(better.mcnemar.c);

    const same = compare(scoredRows(3000, 5, { identical: true }), DEFAULT_CONFIG, { candidate: 0.5, production: 0.5 });
    expect(same.deltas).toEqual({ f1: 0, precision: 0, recall: 0, roc_auc: 0 });
    expect(same.bootstrap).toMatchObject({ delta: 0, lower: 0, upper: 0, one_sided_lower: 0, p_value: 1 });
    expect(same.mcnemar).toEqual({ b: 0, c: 0, statistic: 0, p_value: 1, method: 'exact' });
  });

  it('is deterministic for a seed and varies with it', () => {
    const a = compare(rows, { ...DEFAULT_CONFIG, seed: 1 });
    expect(compare(rows, { ...DEFAULT_CONFIG, seed: 1 })).toStrictEqual(a);
    const b = compare(rows, { ...DEFAULT_CONFIG, seed: 2 });
    expect([b.bootstrap.lower, b.bootstrap.upper]).not.toEqual([a.bootstrap.lower, a.bootstrap.upper]);
  });

  it('handles confidence levels at and below ½ (bound at or above the median)', () => {
    expect(oneSidedLevel(0.95)).toEqual({ level: expect.closeTo(0.9, 12), end: 'lower' });
    expect(oneSidedLevel(0.3)).toEqual({ level: expect.closeTo(0.4, 12), end: 'upper' });
    expect(oneSidedLevel(0.5).level).toBeGreaterThan(0);
    const low = compare(rows, { ...DEFAULT_CONFIG, confidence_level: 0.3 });
    expect(low.bootstrap.one_sided_lower).toBe(low.bootstrap.upper);
    const median = compare(rows, { ...DEFAULT_CONFIG, confidence_level: 0.5 });
    expect(median.bootstrap.lower).toBe(median.bootstrap.upper);
    // Same data and seed, so the same resamples: the 70th percentile is at least the median.
    expect(low.bootstrap.one_sided_lower).toBeGreaterThanOrEqual(median.bootstrap.one_sided_lower);
  });

  it('reports ROC AUC as null when the rows hold one class', () => {
    const labels = new Uint8Array(50);
    const result = compareModels({
      labels,
      candidate: { probabilities: Float64Array.from(labels, (_, i) => i / 50), threshold: 0.5 },
      production: { probabilities: Float64Array.from(labels, (_, i) => 1 - i / 50), threshold: 0.5 },
      config: DEFAULT_CONFIG,
    });
    expect(result.candidate.roc_auc).toBeNull();
    expect(result.deltas.roc_auc).toBeNull();
    expect(comparisonSchema.safeParse(result).success).toBe(true);
  });

  it('refuses unusable inputs with BadDataError naming the problem', () => {
    const ok = { probabilities: [0.2, 0.8], threshold: 0.5 };
    const run = (labels: number[], candidate = ok, production = ok) => () => compareModels({ labels, candidate, production, config: DEFAULT_CONFIG });
    expect(run([])).toThrow(new BadDataError('Cannot compare the models on zero held-out rows; the evaluation split is empty.'));
    expect(run([0, 2])).toThrow(/held-out label 1 is 2; labels must be 0 or 1/);
    expect(run([0, 1], { probabilities: [0.2], threshold: 0.5 })).toThrow(/the candidate model's scores do not fit the held-out rows \(labels and scores differ in length \(2 vs 1\)\)/);
    expect(run([0, 1], ok, { probabilities: [0.2, Number.NaN], threshold: 0.5 })).toThrow(/the production model's scores .*score 1 is NaN/);
    expect(run([0, 1], ok, { probabilities: [0.2, 0.3], threshold: Number.POSITIVE_INFINITY })).toThrow(/production model's threshold is Infinity/);
    expect(run([0, 1], { probabilities: [0.2], threshold: 0.5 })).toThrow(BadDataError);
  });

  it('refuses a config below the minimum resamples', () => {
    expect(() =>
      compareModels({ labels: [0, 1], candidate: { probabilities: [0, 1], threshold: 0.5 }, production: { probabilities: [0, 1], threshold: 0.5 }, config: { ...DEFAULT_CONFIG, bootstrap_resamples: 100 } }),
    ).toThrow(/Invalid quality-gate configuration: bootstrap_resamples/);
  });

  it('compares 3 000 rows with 10 000 resamples in task time (measured, not asserted)', () => {
    const big = scoredRows(3000, 11, { candidateSignal: 0.35 });
    const started = performance.now();
    const result = compare(big);
    const ms = performance.now() - started;
    console.log(`compareModels: 3000 rows, ${result.bootstrap.resamples} resamples in ${ms.toFixed(0)} ms`);
    expect(result.bootstrap.valid_resamples).toBe(10_000);
  });
});
