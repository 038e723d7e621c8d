/** The candidate at production's operating point, and how the degradation rule uses it to tell a threshold trade-off from a weaker model. */
import { describe, expect, it } from 'vitest';
import { compareModels, degradationRule, matchedOperatingPoint } from '../../../src/gates/index.ts';
import { DEFAULT_CONFIG, scoredRows } from './fixtures.ts';

describe('matchedOperatingPoint', () => {
  // Ranked by score: + + − + − − + −
  const labels = [1, 1, 0, 1, 0, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];

  it('is the best recall keeping production precision and the best precision keeping its recall (worked by hand)', () => {
    // Cuts: P 1 R .25 · P 1 R .5 · P .667 R .5 · P .75 R .75 · P .6 R .75 · P .5 R .75 · P .571 R 1 · P .5 R 1
    expect(matchedOperatingPoint(labels, scores, { precision: 0.7, recall: 0.75 })).toEqual({
      recall_at_production_precision: 0.75,
      precision_at_production_recall: 0.75,
    });
    expect(matchedOperatingPoint(labels, scores, { precision: 0.8, recall: 0.9 })).toEqual({
      recall_at_production_precision: 0.5,
      precision_at_production_recall: 4 / 7,
    });
  });

  it('reaches a target equal to one of its own points despite rounding (precision 0.75 as 3/4 and as 0.7499999999)', () => {
    expect(matchedOperatingPoint(labels, scores, { precision: 0.7499999999999, recall: 0 }).recall_at_production_precision).toBe(0.75);
  });

  it('is null for both when the rows hold no positive', () => {
    expect(matchedOperatingPoint([0, 0, 0], [0.2, 0.5, 0.9], { precision: 0, recall: 0 })).toEqual({
      recall_at_production_precision: null,
      precision_at_production_recall: null,
    });
  });
});

describe('the degradation rule at production operating point', () => {
  const compare = (rows: ReturnType<typeof scoredRows>, candidateThreshold: number) =>
    compareModels({
      labels: rows.labels,
      candidate: { probabilities: rows.candidate, threshold: candidateThreshold },
      production: { probabilities: rows.production, threshold: 0.45 },
      config: DEFAULT_CONFIG,
    });

  it('the same scores at a higher threshold: recall falls far at its own threshold, but not where production operates → passes with a note', () => {
    const comparison = compare(scoredRows(3000, 5, { identical: true }), 0.62);
    expect(comparison.deltas.recall).toBeLessThan(-0.2);
    expect(comparison.deltas.precision).toBeGreaterThan(0);
    expect(comparison.matched.recall_at_production_precision).toBeGreaterThanOrEqual(comparison.production.recall);
    const rule = degradationRule(comparison, DEFAULT_CONFIG);
    expect(rule.passed).toBe(true);
    expect(rule.detail).toMatch(/^No metric dropped by more than the tolerated 0\.050 \(precision \+0\.\d{3}, recall -0\.\d{3}, ROC AUC \+0\.000\)\. Note: recall -0\.\d{3} is the candidate's operating point, not a weaker model: at production's precision 0\.\d{3} the candidate's recall is 0\.\d{3} against production's 0\.\d{3}\.$/);
    expect(rule.values.recall_at_production_precision).toBe(comparison.matched.recall_at_production_precision);
  });

  it('a weaker model at a higher threshold falls short where production operates too → fails', () => {
    const comparison = compare(scoredRows(3000, 6, { candidateSignal: 0.1, productionSignal: 0.4 }), 0.6);
    expect(comparison.matched.recall_at_production_precision!).toBeLessThan(comparison.production.recall - 0.05);
    const rule = degradationRule(comparison, DEFAULT_CONFIG);
    expect(rule.passed).toBe(false);
    expect(rule.detail).toMatch(/recall dropped by 0\.\d{3}/);
    expect(rule.detail).not.toMatch(/operating point/);
  });
});
