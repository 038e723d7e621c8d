/** KS, the Kolmogorov distribution and chi-square against scipy (scipy-fixtures.py says how the values were made). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity, chiSquareSurvival, kolmogorovSurvival, ksStatistic, ksTest } from '../../../src/drift/index.ts';

interface Fixtures {
  ks: { a: number[]; b: number[]; statistic: number; p_asymp_scipy: number; p_stephens: number }[];
  kolmogorov: [number, number][];
  chi2_sf: [number, number, number][];
  chi2: { reference: number[]; batch: number[]; statistic: number; df: number; p_value: number }[];
}
const fixtures = JSON.parse(readFileSync(new URL('./scipy-fixtures.json', import.meta.url), 'utf8')) as Fixtures;

const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('two-sample KS', () => {
  it.each(fixtures.ks.map((f, i) => [i, f] as const))('sample pair %i: the statistic of scipy ks_2samp and the Stephens-corrected p-value', (_, f) => {
    const result = ksTest(f.a, f.b);
    expect(result.statistic).toBeCloseTo(f.statistic, 12);
    expect(relativeError(result.p_value, f.p_stephens)).toBeLessThan(1e-9);
  });

  it('is within 1e-3 of scipy asymp p-value on 300 vs 400 rows (and 0.05 on 15 vs 20, where the finite-n law differs)', () => {
    expect(Math.abs(ksTest(fixtures.ks[1]!.a, fixtures.ks[1]!.b).p_value - fixtures.ks[1]!.p_asymp_scipy)).toBeLessThan(1e-3);
    expect(Math.abs(ksTest(fixtures.ks[0]!.a, fixtures.ks[0]!.b).p_value - fixtures.ks[0]!.p_asymp_scipy)).toBeLessThan(0.05);
  });

  it('counts tied values as one step of both CDFs', () => {
    expect(ksStatistic([1, 1, 1, 2], [1, 2, 2, 2])).toBe(0.5);
    expect(ksStatistic([0, 0, 0], [0, 0])).toBe(0);
    expect(ksStatistic([1, 2, 3], [4, 5])).toBe(1);
  });

  it('refuses an empty sample', () => {
    expect(() => ksStatistic([], [1])).toThrow(/non-empty/);
  });
});

describe('Kolmogorov distribution', () => {
  it.each(fixtures.kolmogorov)('Q_KS(%d) matches scipy.special.kolmogorov', (lambda, expected) => {
    expect(relativeError(kolmogorovSurvival(lambda), expected)).toBeLessThan(1e-9);
  });

  it('is 1 at and below 0', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(-1)).toBe(1);
  });
});

describe('chi-square', () => {
  it.each(fixtures.chi2_sf)('survival at x = %d, df = %d matches scipy.stats.chi2.sf, far tail included', (x, df, expected) => {
    expect(relativeError(chiSquareSurvival(x, df), expected)).toBeLessThan(1e-9);
  });

  it.each(fixtures.chi2.map((f, i) => [i, f] as const))('homogeneity table %i matches scipy chi2_contingency(correction=False)', (_, f) => {
    const result = chiSquareHomogeneity(f.reference, f.batch);
    expect(relativeError(result.statistic, f.statistic)).toBeLessThan(1e-12);
    expect(result.df).toBe(f.df);
    expect(relativeError(result.p_value, f.p_value)).toBeLessThan(1e-9);
  });

  it('leaves categories empty in both samples out of the degrees of freedom', () => {
    expect(chiSquareHomogeneity([50, 0, 50], [60, 0, 40])).toEqual(chiSquareHomogeneity([50, 50], [60, 40]));
  });

  it('gives statistic 0 and p = 1 for one category', () => {
    expect(chiSquareHomogeneity([10, 0], [7, 0])).toEqual({ statistic: 0, df: 0, p_value: 1 });
  });

  it('refuses an empty sample and non-counts', () => {
    expect(() => chiSquareHomogeneity([0, 0], [1, 2])).toThrow(/non-empty/);
    expect(() => chiSquareHomogeneity([1.5, 2], [1, 2])).toThrow(/integers/);
  });
});
