/**
 * Drift of each model input, and of the production model's predicted probabilities, between a
 * reference (the rows the production model was trained on) and a batch: the PSI of every
 * feature (psi.ts), plus the KS test for numeric features and the chi-square test of
 * homogeneity for categorical ones, on the same bins as the PSI.
 * Rows are records keyed by column name, as `readSplitRows` (src/data) returns them; which
 * columns are numeric and which categorical comes from the prepared data's feature spec.
 */
import { z } from 'zod';
import type { FeatureSpec } from '../data/schema.ts';
import { BadDataError } from '../runtime/errors.ts';
import { chiSquareHomogeneity } from './chi2.ts';
import { ksTest } from './ks.ts';
import { categoricalPsi, numericPsi, psiBinSchema } from './psi.ts';

const common = {
  feature: z.string().min(1),
  psi: z.number().nonnegative(),
  p_value: z.number().min(0).max(1),
  n_ref: z.number().int().positive(),
  n_batch: z.number().int().positive(),
  bins: z.array(psiBinSchema).min(1),
};

export const featureDriftSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('numeric'), /** The KS statistic D; p_value is its test's. */ ks: z.number().min(0).max(1) }),
  z.object({ ...common, kind: z.literal('categorical'), /** Pearson's χ²; p_value is its test's. */ chi2: z.number().nonnegative(), chi2_df: z.number().int().nonnegative() }),
]);
export type FeatureDrift = z.infer<typeof featureDriftSchema>;

export const predictionDriftSchema = z.object({
  psi: z.number().nonnegative(),
  ks: z.number().min(0).max(1),
  p_value: z.number().min(0).max(1),
  n_ref: z.number().int().positive(),
  n_batch: z.number().int().positive(),
  bins: z.array(psiBinSchema).min(1),
});
export type PredictionDrift = z.infer<typeof predictionDriftSchema>;

export type FeatureRow = Readonly<Record<string, string>>;

/** Drift of every feature in `schema` (numeric first, then categorical, each in the spec's order). */
export function featureDrift(reference: readonly FeatureRow[], batch: readonly FeatureRow[], schema: Pick<FeatureSpec, 'numeric' | 'categorical'>): FeatureDrift[] {
  requireRows(reference, 'reference');
  requireRows(batch, 'batch');
  const numeric = schema.numeric.map((feature) => numericFeatureDrift(feature, numericColumn(reference, feature, 'reference'), numericColumn(batch, feature, 'batch')));
  const categorical = schema.categorical.map((feature) => categoricalFeatureDrift(feature, categoricalColumn(reference, feature, 'reference'), categoricalColumn(batch, feature, 'batch')));
  return [...numeric, ...categorical];
}

/** Drift of the production model's predicted probabilities (PSI on the reference's quantile bins, and KS). */
export function predictionDrift(refProbabilities: readonly number[], batchProbabilities: readonly number[]): PredictionDrift {
  requireRows(refProbabilities, 'reference');
  requireRows(batchProbabilities, 'batch');
  for (const [name, values] of [['reference', refProbabilities], ['batch', batchProbabilities]] as const) {
    const at = values.findIndex((p) => !(p >= 0 && p <= 1));
    if (at >= 0) throw new BadDataError(`Prediction drift: the ${name} probability at position ${at} is ${values[at]}, not a number from 0 to 1.`);
  }
  const { psi, bins } = numericPsi(refProbabilities, batchProbabilities);
  const ks = ksTest(refProbabilities, batchProbabilities);
  return { psi, ks: ks.statistic, p_value: ks.p_value, n_ref: refProbabilities.length, n_batch: batchProbabilities.length, bins };
}

function numericFeatureDrift(feature: string, reference: number[], batch: number[]): FeatureDrift {
  const { psi, bins } = numericPsi(reference, batch);
  const ks = ksTest(reference, batch);
  return { feature, kind: 'numeric', psi, ks: ks.statistic, p_value: ks.p_value, n_ref: reference.length, n_batch: batch.length, bins };
}

function categoricalFeatureDrift(feature: string, reference: string[], batch: string[]): FeatureDrift {
  const { psi, bins, counts } = categoricalPsi(reference, batch);
  const chi2 = chiSquareHomogeneity(counts.reference, counts.batch);
  return { feature, kind: 'categorical', psi, chi2: chi2.statistic, chi2_df: chi2.df, p_value: chi2.p_value, n_ref: reference.length, n_batch: batch.length, bins };
}

function requireRows(rows: readonly unknown[], name: 'reference' | 'batch'): void {
  if (!rows.length) throw new BadDataError(`Drift needs rows in both samples, and the ${name} is empty: nothing to compare. Check the ${name} split or batch window.`);
}

function field(rows: readonly FeatureRow[], feature: string, name: string, i: number): string {
  const value = rows[i]![feature];
  if (value === undefined) throw new BadDataError(`Drift: the ${name} row ${i + 1} has no column '${feature}' (a feature of the production model's schema).`);
  return value;
}

function numericColumn(rows: readonly FeatureRow[], feature: string, name: string): number[] {
  return rows.map((_, i) => {
    const text = field(rows, feature, name, i);
    const value = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) throw new BadDataError(`Drift: the numeric feature '${feature}' of ${name} row ${i + 1} is '${text}', not a finite number.`);
    return value;
  });
}

function categoricalColumn(rows: readonly FeatureRow[], feature: string, name: string): string[] {
  return rows.map((_, i) => field(rows, feature, name, i));
}
