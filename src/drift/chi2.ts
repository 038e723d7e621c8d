/**
 * Pearson's chi-square test of homogeneity of two samples' category counts (a 2 × k table):
 * χ² = Σ (O − E)² / E with E from the pooled column shares, df = k' − 1 where k' counts the
 * categories seen in either sample (an empty column has no expected count and is left out).
 * No Yates continuity correction, also when df = 1 (scipy's `chi2_contingency(correction=False)`).
 * The p-value is Q(df/2, χ²/2), the regularized upper incomplete gamma function, from
 * @stdlib/math-base-special-gammainc (a port of Boost's gamma_q, accurate in the far tail,
 * where 1 − CDF would round to 0).
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import { z } from 'zod';

export const chi2ResultSchema = z.object({
  statistic: z.number().nonnegative(),
  df: z.number().int().nonnegative(),
  p_value: z.number().min(0).max(1),
});
export type Chi2Result = z.infer<typeof chi2ResultSchema>;

/** P(X > x) for X ~ χ² with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`chi-square degrees of freedom must be an integer >= 1, got ${df}`);
  if (Number.isNaN(x)) return Number.NaN;
  return x <= 0 ? 1 : gammainc(x / 2, df / 2, true, true);
}

/** The chi-square test of homogeneity of two count vectors over the same categories. */
export function chiSquareHomogeneity(reference: readonly number[], batch: readonly number[]): Chi2Result {
  if (reference.length !== batch.length) throw new RangeError(`the two count vectors must cover the same categories (${reference.length} vs ${batch.length})`);
  for (const count of [...reference, ...batch]) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`category counts must be integers >= 0, got ${count}`);
  }
  const nRef = reference.reduce((s, c) => s + c, 0);
  const nBatch = batch.reduce((s, c) => s + c, 0);
  if (nRef === 0 || nBatch === 0) throw new RangeError(`the chi-square test needs two non-empty samples (got ${nRef} and ${nBatch} counts)`);
  const total = nRef + nBatch;
  let statistic = 0;
  let columns = 0;
  for (let i = 0; i < reference.length; i++) {
    const column = reference[i]! + batch[i]!;
    if (column === 0) continue;
    columns++;
    const expectedRef = (nRef * column) / total;
    const expectedBatch = (nBatch * column) / total;
    statistic += (reference[i]! - expectedRef) ** 2 / expectedRef + (batch[i]! - expectedBatch) ** 2 / expectedBatch;
  }
  const df = columns - 1;
  return { statistic, df, p_value: df === 0 ? 1 : chiSquareSurvival(statistic, df) };
}
