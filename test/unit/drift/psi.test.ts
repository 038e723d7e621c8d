/** PSI, its bins and its smoothing; expected values computed by hand from the formula in src/drift/psi.ts. */
import { describe, expect, it } from 'vitest';
import { binIndex, categoricalPsi, numericPsi, OTHER_BIN, PSI_EPSILON, psiFromCounts, quantileCutPoints, smoothedShares, UNSEEN_BIN } from '../../../src/drift/index.ts';

describe('PSI from counts', () => {
  it('is Σ (b − r) ln(b / r) over the smoothed shares', () => {
    // r = (0.5 + 1e-4) / 1.0002 = 0.5; b = 0.2501 / 1.0002, 0.7501 / 1.0002 (unsmoothed: 0.25 ln 3 = 0.27465)
    expect(psiFromCounts(['a', 'b'], [50, 50], [25, 75]).psi).toBeCloseTo(0.2745315169696105, 14);
  });

  it('stays finite when a bin is empty in the reference: 1 % of the batch there adds ≈ 0.01 ln 101', () => {
    const { psi, bins } = psiFromCounts(['a', 'b'], [100, 0], [99, 1]);
    expect(psi).toBeCloseTo(0.04624244993696521, 14);
    expect(bins[1]!.ref_share).toBeCloseTo(PSI_EPSILON / (1 + 2 * PSI_EPSILON), 15);
  });

  it('is exactly 0 for equal shares, and the smoothed shares sum to 1', () => {
    expect(psiFromCounts(['a', 'b', 'c'], [30, 50, 20], [60, 100, 40]).psi).toBe(0);
    expect(smoothedShares([3, 0, 0, 7]).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 15);
  });
});

describe('numeric quantile bins', () => {
  it('cuts 1..100 at the deciles', () => {
    expect(quantileCutPoints(Array.from({ length: 100 }, (_, i) => i + 1))).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('gives tied values one bin: 70 zeros and 1..30 → cuts 0, 10, 20', () => {
    const reference = [...new Array<number>(70).fill(0), ...Array.from({ length: 30 }, (_, i) => i + 1)];
    const cuts = quantileCutPoints(reference);
    expect(cuts).toEqual([0, 10, 20]);
    expect([0, 10, 10.5, 21, -5].map((v) => binIndex(cuts, v))).toEqual([0, 1, 2, 3, 0]);
  });

  it('has open-ended outer bins, so a batch beyond the reference range is counted', () => {
    const reference = Array.from({ length: 100 }, (_, i) => i);
    const { bins, psi } = numericPsi(reference, [500, 600, 700]);
    expect(bins[0]!.label).toBe('(-inf, 9]');
    expect(bins.at(-1)!.label).toBe('(89, inf)');
    expect(bins.at(-1)!.batch_count).toBe(3);
    expect(psi).toBeGreaterThan(1);
  });

  it('gives a constant reference two bins, so a batch that moved off the constant shows', () => {
    const { bins, psi } = numericPsi([5, 5, 5, 5], [6, 6, 6]);
    expect(bins.map((b) => b.label)).toEqual(['(-inf, 5]', '(5, inf)']);
    expect(psi).toBeGreaterThan(5);
  });
});

describe('categorical bins', () => {
  it('puts rare categories in the other bin; with such a long tail, unseen ones rare in the batch too', () => {
    const reference = [...new Array<string>(600).fill('A'), ...new Array<string>(398).fill('B'), 'rare1', 'rare2'];
    const batch = [...new Array<string>(500).fill('A'), ...new Array<string>(495).fill('B'), 'rare1', 'new1', 'new2', 'frequent-new', 'frequent-new'];
    const shares = categoricalPsi(reference, [...batch, ...new Array<string>(8).fill('frequent-new')]).bins;
    expect(shares.map((b) => [b.label, b.ref_count, b.batch_count])).toEqual([
      ['A', 600, 500],
      ['B', 398, 495],
      [OTHER_BIN, 2, 3],
      [UNSEEN_BIN, 0, 10],
    ]);
    expect(categoricalPsi(reference, batch).bins.map((b) => [b.label, b.batch_count])).toEqual([['A', 500], ['B', 495], [OTHER_BIN, 5], [UNSEEN_BIN, 0]]);
  });

  it('puts categories the reference never had in the unseen bin when the reference has no tail', () => {
    const reference = [...new Array<string>(600).fill('A'), ...new Array<string>(400).fill('B')];
    const { bins } = categoricalPsi(reference, ['A', 'B', 'new', 'new']);
    expect(bins.map((b) => [b.label, b.ref_count, b.batch_count])).toEqual([
      ['A', 600, 1],
      ['B', 400, 1],
      [OTHER_BIN, 0, 0],
      [UNSEEN_BIN, 0, 2],
    ]);
  });

  it('keeps a long-tailed feature of one population near 0: codes a sample missed are not drift', () => {
    // ~700 codes with a Zipf-like tail, as the ICD-9 diagnosis codes: 3 000 reference rows, 4 000 batch rows.
    let state = 7;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const draw = () => `code${Math.floor(700 * next() ** 3)}`;
    const reference = Array.from({ length: 3000 }, draw);
    const batch = Array.from({ length: 4000 }, draw);
    expect(categoricalPsi(reference, batch).psi).toBeLessThan(0.05);
  });

  it('weighs an unseen category in 40 % of the batch as a major shift', () => {
    const reference = new Array<string>(1000).fill('A');
    const batch = [...new Array<string>(60).fill('A'), ...new Array<string>(40).fill('Z')];
    expect(categoricalPsi(reference, batch).psi).toBeGreaterThan(0.3);
  });
});
