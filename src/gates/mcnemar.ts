/**
 * McNemar's test of two classifiers' paired correctness on the same rows. Only the discordant
 * rows count: b = candidate right and production wrong, c = the reverse. Under "equally
 * accurate", b ~ Binomial(b + c, ½).
 *
 * - b + c < 25: the exact two-sided binomial p-value (statistic = min(b, c), as statsmodels'
 *   `mcnemar(exact=True)`);
 * - otherwise: the chi-square statistic with continuity correction, (|b − c| − 1)² / (b + c),
 *   on one degree of freedom (statsmodels' `mcnemar(exact=False, correction=True)`). The
 *   correction is clamped at 0 so that b = c gives statistic 0 and p = 1 rather than a
 *   correction that overshoots;
 * - b + c = 0: no evidence either way, p = 1.
 *
 * It tests accuracy, not F1, so the gates report it as a secondary check.
 */
import { z } from 'zod';
import { BadDataError } from '../runtime/errors.ts';
import { binomialTwoSidedHalf, chiSquare1Survival } from './distributions.ts';

/** Below this many discordant rows the exact binomial test is used. */
export const MCNEMAR_EXACT_BELOW = 25;

export const mcnemarResultSchema = z.object({
  /** Rows the candidate got right and production got wrong. */
  b: z.number().int().nonnegative(),
  /** Rows production got right and the candidate got wrong. */
  c: z.number().int().nonnegative(),
  statistic: z.number().nonnegative(),
  p_value: z.number().min(0).max(1),
  method: z.enum(['exact', 'chi2']),
});
export type McNemarResult = z.infer<typeof mcnemarResultSchema>;

/** McNemar's test from the two discordant counts. */
export function mcnemar(b: number, c: number): McNemarResult {
  for (const [name, value] of [['b', b], ['c', c]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`McNemar's ${name} must be a count (integer >= 0), got ${value}`);
  }
  const discordant = b + c;
  if (discordant === 0) return { b, c, statistic: 0, p_value: 1, method: 'exact' };
  if (discordant < MCNEMAR_EXACT_BELOW) {
    return { b, c, statistic: Math.min(b, c), p_value: binomialTwoSidedHalf(Math.min(b, c), discordant), method: 'exact' };
  }
  const corrected = Math.max(0, Math.abs(b - c) - 1);
  const statistic = (corrected * corrected) / discordant;
  return { b, c, statistic, p_value: chiSquare1Survival(statistic), method: 'chi2' };
}

/** The discordant counts of two 0/1 prediction vectors against the same 0/1 labels. */
export function discordantCounts(
  labels: ArrayLike<number>,
  candidate: ArrayLike<number>,
  production: ArrayLike<number>,
): { b: number; c: number } {
  if (candidate.length !== labels.length || production.length !== labels.length) {
    throw new BadDataError(
      `McNemar needs one prediction per label from each model: ${labels.length} labels, ` +
        `${candidate.length} candidate and ${production.length} production predictions`,
    );
  }
  let b = 0;
  let c = 0;
  for (let i = 0; i < labels.length; i++) {
    const candidateRight = candidate[i] === labels[i];
    const productionRight = production[i] === labels[i];
    if (candidateRight && !productionRight) b++;
    else if (productionRight && !candidateRight) c++;
  }
  return { b, c };
}

/** McNemar's test of two models' 0/1 predictions on the same labelled rows. */
export function mcnemarOnPredictions(
  labels: ArrayLike<number>,
  candidate: ArrayLike<number>,
  production: ArrayLike<number>,
): McNemarResult {
  const { b, c } = discordantCounts(labels, candidate, production);
  return mcnemar(b, c);
}
