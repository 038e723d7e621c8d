/** McNemar's test and the distribution functions behind it, against scipy 1.17.1 (.venv/ml). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binomialTwoSidedHalf,
  chiSquare1Survival,
  discordantCounts,
  erfc,
  MCNEMAR_EXACT_BELOW,
  mcnemar,
  mcnemarOnPredictions,
  mcnemarResultSchema,
  normalQuantile,
} from '../../../src/gates/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';

/*
 * Expected values:
 *   from scipy import stats, special
 *   stats.binomtest(min(b, c), b + c, 0.5).pvalue                  # exact, b + c < 25
 *   s = max(0, abs(b - c) - 1)**2 / (b + c); stats.chi2.sf(s, 1)   # chi2 with continuity correction
 *   special.erfc(z); stats.norm.ppf(p)
 * (86, 150) are the discordant cells of the presidential-approval table in Agresti's
 * Categorical Data Analysis ([[794, 150], [86, 570]]).
 */
const EXACT = [
  { b: 3, c: 7, p: 0.34375 },
  { b: 10, c: 2, p: 0.03857421875 },
  { b: 12, c: 12, p: 1 },
  { b: 0, c: 24, p: 1.1920928955078125e-7 },
  { b: 5, c: 19, p: 0.006610751152038574 },
  { b: 1, c: 0, p: 1 },
];
const CHI2 = [
  { b: 86, c: 150, statistic: 16.81779661016949, p: 4.114562281345944e-5 },
  { b: 25, c: 0, statistic: 23.04, p: 1.5866563039511885e-6 },
  { b: 20, c: 10, statistic: 2.7, p: 0.10034824646229054 },
  { b: 100, c: 60, statistic: 9.50625, p: 0.002047732153668759 },
  { b: 1000, c: 900, statistic: 5.158421052631579, p: 0.023133919510755163 },
];

describe('mcnemar', () => {
  it.each(EXACT)('exact binomial p for b=$b, c=$c (b + c < 25) matches scipy', ({ b, c, p }) => {
    const result = mcnemar(b, c);
    expect(result).toEqual({ b, c, statistic: Math.min(b, c), p_value: expect.closeTo(p, 15), method: 'exact' });
  });

  it.each(CHI2)('continuity-corrected chi-square for b=$b, c=$c matches scipy', ({ b, c, statistic, p }) => {
    const result = mcnemar(b, c);
    expect(result.method).toBe('chi2');
    expect(result.statistic).toBeCloseTo(statistic, 12);
    expect(result.p_value / p).toBeCloseTo(1, 12);
  });

  it('switches from exact to chi-square at 25 discordant rows', () => {
    expect(mcnemar(12, 12).method).toBe('exact');
    expect(mcnemar(12, 13).method).toBe('chi2');
    expect(MCNEMAR_EXACT_BELOW).toBe(25);
  });

  it('gives p = 1 when there are no discordant rows, or when b = c (the correction does not overshoot)', () => {
    expect(mcnemar(0, 0)).toEqual({ b: 0, c: 0, statistic: 0, p_value: 1, method: 'exact' });
    expect(mcnemar(40, 40)).toEqual({ b: 40, c: 40, statistic: 0, p_value: 1, method: 'chi2' });
    expect(mcnemar(40, 41).p_value).toBe(1);
  });

  it('is symmetric in b and c and always a valid result', () => {
    fc.assert(
      fc.property(fc.nat({ max: 5000 }), fc.nat({ max: 5000 }), (b, c) => {
        const forward = mcnemarResultSchema.parse(mcnemar(b, c));
        const backward = mcnemar(c, b);
        expect(backward.p_value).toBe(forward.p_value);
        expect(backward.statistic).toBe(forward.statistic);
      }),
    );
  });

  it('rejects counts that are not non-negative integers', () => {
    expect(() => mcnemar(-1, 2)).toThrow(/McNemar's b must be a count/);
    expect(() => mcnemar(1, 2.5)).toThrow(/McNemar's c must be a count/);
  });
});

describe('discordant counts from predictions', () => {
  it('counts rows only one model gets right', () => {
    const labels = [1, 1, 0, 0, 1, 0, 1];
    const candidate = [1, 1, 0, 1, 0, 0, 1]; // right: 0,1,2,5,6
    const production = [0, 1, 1, 0, 0, 0, 0]; // right: 1,3,5
    expect(discordantCounts(labels, candidate, production)).toEqual({ b: 3, c: 1 }); // b: rows 0, 2, 6; c: row 3
    expect(mcnemarOnPredictions(labels, candidate, production)).toEqual(mcnemar(3, 1));
  });

  it('refuses vectors of different lengths with a BadDataError', () => {
    expect(() => discordantCounts([1, 0], [1], [1, 0])).toThrow(BadDataError);
  });
});

describe('distribution functions', () => {
  it('erfc matches scipy to ~1e-14 relative, including the far tail', () => {
    const cases: Array<[number, number]> = [
      [0, 1],
      [0.1, 0.8875370839817152],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028516],
      [1.5, 0.03389485352468927],
      [2, 0.004677734981047266],
      [3, 2.2090496998585445e-5],
      [5, 1.5374597944280347e-12],
      [10, 2.0884875837625446e-45],
      [-1, 1.8427007929497148],
    ];
    for (const [z, expected] of cases) expect(erfc(z) / expected, `erfc(${z})`).toBeCloseTo(1, 13);
  });

  it('chi-square (1 df) survival matches scipy', () => {
    expect(chiSquare1Survival(50) / 1.537459794428033e-12).toBeCloseTo(1, 12);
    expect(chiSquare1Survival(0.001)).toBeCloseTo(0.9747728793699604, 14);
    expect(chiSquare1Survival(0)).toBe(1);
  });

  it('the exact binomial test matches scipy beyond the integer range too', () => {
    expect(binomialTwoSidedHalf(20, 60) / 0.01348929373119186).toBeCloseTo(1, 12);
    expect(binomialTwoSidedHalf(400, 1000) / 2.728464156065947e-10).toBeCloseTo(1, 10);
    expect(binomialTwoSidedHalf(480, 1000)).toBeCloseTo(0.2174482932041415, 12);
    expect(() => binomialTwoSidedHalf(5, 4)).toThrow(RangeError);
  });

  it('the normal quantile matches scipy and inverts the CDF', () => {
    const cases: Array<[number, number]> = [
      [1e-10, -6.361340902404056],
      [0.001, -3.090232306167813],
      [0.025, -1.9599639845400545],
      [0.05, -1.6448536269514729],
      [0.5, 0],
      [0.9, 1.2815515655446004],
      [0.95, 1.6448536269514722],
      [0.975, 1.959963984540054],
      [0.999, 3.090232306167813],
    ];
    for (const [p, expected] of cases) expect(normalQuantile(p), `ppf(${p})`).toBeCloseTo(expected, 12);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
  });
});
