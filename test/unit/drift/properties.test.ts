/** Properties of PSI, KS, chi-square and the decision over many samples drawn from the project's seeded PRNG. */
import { describe, expect, it } from 'vitest';
import { categoricalPsi, chiSquareHomogeneity, DRIFT_LEVELS, decideDrift, type DriftThresholds, featureDrift, ksStatistic, ksTest, numericPsi } from '../../../src/drift/index.ts';
import { gaussian, picker, randomInt, type Random, seededRandom, shuffledIndexes } from '../../../src/runtime/random.ts';
import { rows, SCHEMA } from './synthetic.ts';

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

/** A numeric sample of random size, location, spread and rounding (so ties happen). */
function numericSample(random: Random): number[] {
  const n = randomInt(random, 1, 400);
  const mean = 10 * gaussian(random);
  const sd = 0.1 + 5 * random();
  const decimals = randomInt(random, 0, 2);
  return Array.from({ length: n }, () => Number((mean + sd * gaussian(random)).toFixed(decimals)));
}

function categoricalSample(random: Random): string[] {
  const k = randomInt(random, 1, 60);
  const pick = picker(Array.from({ length: k }, (_, i) => `v${i}`), Array.from({ length: k }, () => random() + 0.01));
  return Array.from({ length: randomInt(random, 1, 400) }, () => pick(random));
}

const permuted = <T>(values: readonly T[], random: Random) => shuffledIndexes(values.length, random).map((i) => values[i]!);

describe.each(SEEDS)('seed %i', (seed) => {
  it('PSI is ≥ 0, 0 for a sample against itself, and blind to the batch order', () => {
    const random = seededRandom(seed);
    const [a, b] = [numericSample(random), numericSample(random)];
    const [c, d] = [categoricalSample(random), categoricalSample(random)];
    expect(numericPsi(a, b).psi).toBeGreaterThanOrEqual(0);
    expect(categoricalPsi(c, d).psi).toBeGreaterThanOrEqual(0);
    expect(numericPsi(a, a).psi).toBe(0);
    expect(categoricalPsi(c, c).psi).toBe(0);
    expect(numericPsi(a, permuted(b, random)).psi).toBe(numericPsi(a, b).psi);
    expect(categoricalPsi(c, permuted(d, random)).psi).toBe(categoricalPsi(c, d).psi);
  });

  it('the bins count every row once', () => {
    const random = seededRandom(seed);
    const [a, b] = [numericSample(random), numericSample(random)];
    const { bins } = numericPsi(a, b);
    expect(bins.reduce((s, bin) => s + bin.ref_count, 0)).toBe(a.length);
    expect(bins.reduce((s, bin) => s + bin.batch_count, 0)).toBe(b.length);
    expect(bins.length).toBeLessThanOrEqual(10);
  });

  it('KS is symmetric, in [0, 1], 0 against itself, and its p-value is a probability', () => {
    const random = seededRandom(seed);
    const [a, b] = [numericSample(random), numericSample(random)];
    const d = ksStatistic(a, b);
    expect(d).toBe(ksStatistic(b, a));
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(1);
    expect(ksStatistic(a, permuted(a, random))).toBe(0);
    const { p_value } = ksTest(a, b);
    expect(p_value).toBeGreaterThanOrEqual(0);
    expect(p_value).toBeLessThanOrEqual(1);
  });

  it('chi-square is symmetric in the two samples and its p-value is a probability', () => {
    const random = seededRandom(seed);
    const k = randomInt(random, 2, 12);
    const counts = () => Array.from({ length: k }, () => randomInt(random, 0, 200));
    const [r, b] = [counts(), counts()];
    r[0]! += 1;
    b[0]! += 1;
    const forward = chiSquareHomogeneity(r, b);
    const backward = chiSquareHomogeneity(b, r);
    expect(backward.df).toBe(forward.df);
    expect(backward.statistic).toBeCloseTo(forward.statistic, 9);
    expect(forward.p_value).toBeGreaterThanOrEqual(0);
    expect(forward.p_value).toBeLessThanOrEqual(1);
  });

  it('raising every threshold never raises the level', () => {
    const random = seededRandom(seed);
    const features = featureDrift(rows(random, 300), rows(random, 200, { ageMean: 60 + 15 * random(), groupWeights: [random(), random(), random()] }), SCHEMA);
    const prediction = { psi: random(), ks: 0, p_value: 1, n_ref: 1, n_batch: 1, bins: features[0]!.bins };
    const low: DriftThresholds = { minor: 0.02 + 0.1 * random(), moderate: 0.2, major: 0.3 + random(), performance_drop: 0.05 };
    const high: DriftThresholds = { ...low, minor: low.minor * 1.5, moderate: low.moderate * 1.5, major: low.major * 1.5 };
    const evidence = { features, prediction, performance: { batch_f1: 0.6, reference_f1: 0.6 } };
    const rank = (t: DriftThresholds) => DRIFT_LEVELS.indexOf(decideDrift(evidence, t).drift_level);
    expect(rank(high)).toBeLessThanOrEqual(rank(low));
  });
});
