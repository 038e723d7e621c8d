/**
 * The population stability index of a batch against a reference, PSI = Σ (bᵢ − rᵢ) ln(bᵢ / rᵢ)
 * over bins fixed by the reference, and the two binnings:
 *
 * - numeric: up to NUMERIC_BINS quantile bins of the reference. The cut points are reference
 *   values at the quantiles 1/10 … 9/10 (the inverse empirical CDF), deduplicated, and each bin
 *   is right-closed, (cₖ₋₁, cₖ], so tied values always share a bin: a feature that is 0 in 70 %
 *   of rows gets one bin for the 0s, not seven. The outer bins are open-ended, so batch values
 *   beyond the reference range are counted, not lost (when the top quantile is the reference's
 *   maximum, the last bin is empty in the reference and holds only such batch values; a constant
 *   reference still gets two bins, its value and above).
 * - categorical: one bin per reference category with a share of at least MIN_CATEGORY_SHARE,
 *   at most MAX_CATEGORY_BINS of them (the most frequent), then OTHER_BIN for the remaining
 *   reference categories and UNSEEN_BIN for categories the reference never had. Grouping rare
 *   categories matters for the ICD-9 diagnosis codes (≈ 700 values): one bin each would add
 *   sampling noise of about (k − 1)(1/n + 1/m) to the PSI of two samples of the same population.
 *   For the same reason a category the reference never had that is rare in the batch too (below
 *   MIN_CATEGORY_SHARE) goes to OTHER_BIN when the reference has a long tail (rare categories,
 *   OTHER_BIN not empty): there, a batch of the same population always brings codes a sample of
 *   a few thousand rows missed, and an UNSEEN_BIN empty in the reference would turn each such row
 *   into ln(b/ε) (undrifted diagnosis codes: PSI 0.2–0.9 with references of 3 000–4 000 rows).
 *   An unseen category that is frequent in the batch, or any unseen category of a feature without
 *   a tail, is news: UNSEEN_BIN shows it.
 *
 * Empty bins: ln(b/r) is undefined when a share is 0, so every share gets additive smoothing,
 * s = (count / n + PSI_EPSILON) / (1 + k · PSI_EPSILON), which keeps the shares summing to 1.
 * PSI_EPSILON = 1e-4 is the usual floor (Evidently clips at 1e-4): a bin empty in the reference
 * that holds 1 % of the batch adds 0.01 · ln(101) ≈ 0.046, not infinity.
 */
import { z } from 'zod';

export const NUMERIC_BINS = 10;
export const MIN_CATEGORY_SHARE = 0.005;
export const MAX_CATEGORY_BINS = 30;
export const PSI_EPSILON = 1e-4;
export const OTHER_BIN = '__other__';
export const UNSEEN_BIN = '__unseen__';

/** One bin of a PSI: its label, its counts and its smoothed shares (what a drift picture draws). */
export const psiBinSchema = z.object({
  /** `(-inf, 3]`, `(3, 7]`, `(7, inf)` for numeric bins; the category (or OTHER_BIN, UNSEEN_BIN). */
  label: z.string(),
  ref_count: z.number().int().nonnegative(),
  batch_count: z.number().int().nonnegative(),
  ref_share: z.number().min(0).max(1),
  batch_share: z.number().min(0).max(1),
  /** This bin's term (bᵢ − rᵢ) ln(bᵢ / rᵢ); the PSI is their sum. */
  psi: z.number().nonnegative(),
});
export type PsiBin = z.infer<typeof psiBinSchema>;

export interface PsiResult {
  readonly psi: number;
  readonly bins: PsiBin[];
}

/** The smoothed shares of counts over k bins (see the module header). */
export function smoothedShares(counts: readonly number[]): number[] {
  const n = counts.reduce((s, c) => s + c, 0);
  const k = counts.length;
  return counts.map((c) => (c / n + PSI_EPSILON) / (1 + k * PSI_EPSILON));
}

/** The PSI of two count vectors over the same labelled bins; both samples must be non-empty. */
export function psiFromCounts(labels: readonly string[], reference: readonly number[], batch: readonly number[]): PsiResult {
  if (reference.length !== labels.length || batch.length !== labels.length) throw new RangeError('PSI needs one reference and one batch count per bin');
  const refShares = smoothedShares(reference);
  const batchShares = smoothedShares(batch);
  const bins = labels.map((label, i) => {
    const r = refShares[i]!;
    const b = batchShares[i]!;
    return { label, ref_count: reference[i]!, batch_count: batch[i]!, ref_share: r, batch_share: b, psi: (b - r) * Math.log(b / r) };
  });
  return { psi: bins.reduce((s, bin) => s + bin.psi, 0), bins };
}

/** The cut points of the reference's quantile bins: sorted, distinct, at most bins − 1 of them. */
export function quantileCutPoints(reference: readonly number[], bins = NUMERIC_BINS): number[] {
  if (!reference.length) throw new RangeError('quantile bins need a non-empty reference');
  const sorted = Float64Array.from(reference).sort();
  const cuts: number[] = [];
  for (let q = 1; q < bins; q++) {
    const value = sorted[Math.ceil((q / bins) * sorted.length) - 1]!;
    if (value !== cuts.at(-1)) cuts.push(value);
  }
  return cuts;
}

/** The bin index of `value` among right-closed bins cut at `cuts` (binary search). */
export function binIndex(cuts: readonly number[], value: number): number {
  let low = 0;
  let high = cuts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (value <= cuts[mid]!) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The labels of right-closed bins cut at `cuts`, open-ended at both sides. */
export const numericBinLabels = (cuts: readonly number[]) =>
  [Number.NEGATIVE_INFINITY, ...cuts].map((lower, i) => `(${fmt(lower)}, ${i < cuts.length ? `${fmt(cuts[i]!)}]` : 'inf)'}`);

const fmt = (value: number) => (value === Number.NEGATIVE_INFINITY ? '-inf' : String(value));

const countInto = (size: number, indexes: Iterable<number>) => {
  const counts = new Array<number>(size).fill(0);
  for (const i of indexes) counts[i]!++;
  return counts;
};

/** The PSI of a numeric batch against the reference's quantile bins. */
export function numericPsi(reference: readonly number[], batch: readonly number[], bins = NUMERIC_BINS): PsiResult & { counts: { reference: number[]; batch: number[] } } {
  const cuts = quantileCutPoints(reference, bins);
  const size = cuts.length + 1;
  const counts = {
    reference: countInto(size, reference.map((v) => binIndex(cuts, v))),
    batch: countInto(size, batch.map((v) => binIndex(cuts, v))),
  };
  return { ...psiFromCounts(numericBinLabels(cuts), counts.reference, counts.batch), counts };
}

/** The categorical bins of a reference: its frequent categories, most frequent first, then OTHER_BIN and UNSEEN_BIN (`longTail`: OTHER_BIN is not empty). */
export function categoryBins(reference: readonly string[]): { kept: string[]; seen: Set<string>; longTail: boolean } {
  const frequency = new Map<string, number>();
  for (const value of reference) frequency.set(value, (frequency.get(value) ?? 0) + 1);
  const kept = [...frequency]
    .filter(([, count]) => count / reference.length >= MIN_CATEGORY_SHARE)
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_CATEGORY_BINS)
    .map(([category]) => category);
  return { kept, seen: new Set(frequency.keys()), longTail: kept.length < frequency.size };
}

/** The PSI of a categorical batch against the reference's category bins (with their counts, for the chi-square test). */
export function categoricalPsi(reference: readonly string[], batch: readonly string[]): PsiResult & { counts: { reference: number[]; batch: number[] } } {
  const { kept, seen, longTail } = categoryBins(reference);
  const position = new Map(kept.map((category, i) => [category, i]));
  const other = kept.length;
  const unseen = kept.length + 1;
  const inBatch = new Map<string, number>();
  for (const value of batch) if (!seen.has(value)) inBatch.set(value, (inBatch.get(value) ?? 0) + 1);
  const unseenBin = (value: string) => (longTail && (inBatch.get(value) ?? 0) / batch.length < MIN_CATEGORY_SHARE ? other : unseen);
  const indexOf = (value: string) => position.get(value) ?? (seen.has(value) ? other : unseenBin(value));
  const counts = {
    reference: countInto(kept.length + 2, reference.map(indexOf)),
    batch: countInto(kept.length + 2, batch.map(indexOf)),
  };
  return { ...psiFromCounts([...kept, OTHER_BIN, UNSEEN_BIN], counts.reference, counts.batch), counts };
}
