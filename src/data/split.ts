/**
 * Which raw rows go into which split. Splits are planned on RAW row positions (0 = the first
 * data row, file line 2) and each split is cleaned afterwards — the origin project's order,
 * see ORIGIN_SPLIT below for the evidence.
 *
 * - `origin` (default): unshuffled. The first 20 % of the raw rows (floor) is the initial set,
 *   cut at 70 % / 85 % (floor) into train / validation / test; the remaining 80 % is `future`
 *   (later batches, drift checks).
 * - `random`: a seeded Fisher–Yates shuffle (xoshiro128**, runtime/random.ts) of all raw rows, then
 *   floor(train·n) rows train, floor(validation·n) validation, the rest test; no future set.
 *   Rows keep the shuffled order. Same seed + same file → same split, on any machine.
 * - `arrived` (a description only; prepare chooses it when batches are given): training on the
 *   data that arrived since the origin split. Reference = the origin initial set (all of it) →
 *   train; every batch but the newest → train; the newest batch cut by position at 50 % / 75 %
 *   (floor, ARRIVED_SPLIT) into train / validation / test, so validation and test are the newest
 *   rows, which the gates then score candidate and production on.
 */
import { z } from 'zod';
import { seededRandom, shuffledIndexes } from '../runtime/random.ts';

/**
 * The origin split, checked against the UCI file (101 766 raw rows; see the test
 * "origin split on the real file"):
 *   split first (raw positions), then clean each part — train 14 247 → 13 981 rows,
 *   validation 3 053 → 2 996, test 3 053 → 2 995 with positive rate 0.4331 (the stated 0.433),
 *   future 81 413 → 79 371.
 * The alternative, clean first (99 343 rows) then take 20 %, gives 19 868 initial rows and a
 * test positive rate of 0.4337 (0.434); clean first then the fixed positions 0–20 352 gives
 * 0.4288. Only "split the raw rows, then clean" reproduces 20 353 / 81 413 and 0.433.
 */
export const ORIGIN_SPLIT = {
  /** Share of raw rows in the initial set (numerator / 100, floored). */
  initialPercent: 20,
  /** Train ends at floor(initial · 70 %), validation at floor(initial · 85 %). */
  trainPercent: 70,
  validationEndPercent: 85,
} as const;

/** How the newest arrived batch is cut: train ends at floor(n · 50 %), validation at floor(n · 75 %). */
export const ARRIVED_SPLIT = {
  trainPercent: 50,
  validationEndPercent: 75,
} as const;

const fraction = z.number().min(0).max(1);

export const splitSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('origin') }).strict(),
  z
    .object({
      kind: z.literal('random'),
      fractions: z.object({ train: fraction, validation: fraction, test: fraction }).strict(),
      seed: z.number().int().min(0).max(0xffffffff),
    })
    .strict()
    .refine(({ fractions: f }) => Math.abs(f.train + f.validation + f.test - 1) < 1e-9, {
      message: 'split.fractions must add up to 1 (e.g. {train: 0.7, validation: 0.15, test: 0.15})',
      path: ['fractions'],
    }),
]);
export type SplitSpec = z.infer<typeof splitSpecSchema>;

export const SPLIT_NAMES = ['train', 'validation', 'test', 'future'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** What the manifest records about the split (raw positions are 0-based, inclusive). */
export const splitDescriptionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('origin'),
    raw_rows: z.number().int().nonnegative(),
    initial_rows: z.number().int().nonnegative(),
    applied: z.literal('split raw rows by position, then clean each split'),
    raw_ranges: z.record(z.enum(SPLIT_NAMES), z.object({ first: z.number().int(), last: z.number().int() })),
  }),
  z.object({
    kind: z.literal('random'),
    raw_rows: z.number().int().nonnegative(),
    fractions: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
    seed: z.number().int(),
    prng: z.literal('xoshiro128** + Fisher-Yates'),
    applied: z.literal('shuffle raw rows, split, then clean each split'),
  }),
  z.object({
    kind: z.literal('arrived'),
    /** The raw file whose origin initial set (raw positions 0 … initial_rows − 1) is the reference. */
    reference: z.object({ uri: z.string(), raw_rows: z.number().int().nonnegative(), initial_rows: z.number().int().nonnegative() }),
    /** The arrived raw batches, oldest first; the last one is `newest`. */
    batches: z.array(z.object({ uri: z.string(), raw_rows: z.number().int().nonnegative(), sha256: z.string() })).min(1),
    /** Raw rows of the newest batch in each split, by position (train first). */
    newest: z.object({
      uri: z.string(),
      train_rows: z.number().int().nonnegative(),
      validation_rows: z.number().int().nonnegative(),
      test_rows: z.number().int().nonnegative(),
    }),
    applied: z.literal('reference and older batches to train; newest batch split by position 50/25/25; then clean each part'),
  }),
]);
export type SplitDescription = z.infer<typeof splitDescriptionSchema>;

export interface SplitPlan {
  /** Raw row positions per split, in output order. `future` only for the origin split. */
  readonly parts: Partial<Record<SplitName, number[]>> & Record<'train' | 'validation' | 'test', number[]>;
  readonly description: SplitDescription;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** Raw positions [from, to) of each origin split, from the row count alone (no position arrays). */
export function originBounds(rawRows: number): Record<SplitName, readonly [number, number]> {
  // Integer arithmetic: 101 766 · 20 / 100 = 20 353.2 → 20 353, no float surprises.
  const initial = Math.floor((rawRows * ORIGIN_SPLIT.initialPercent) / 100);
  const trainEnd = Math.floor((initial * ORIGIN_SPLIT.trainPercent) / 100);
  const validationEnd = Math.floor((initial * ORIGIN_SPLIT.validationEndPercent) / 100);
  return { train: [0, trainEnd], validation: [trainEnd, validationEnd], test: [validationEnd, initial], future: [initial, rawRows] };
}

/** Raw positions [from, to) of the newest batch's train / validation / test parts. */
export function arrivedBatchBounds(rawRows: number): Record<'train' | 'validation' | 'test', readonly [number, number]> {
  const trainEnd = Math.floor((rawRows * ARRIVED_SPLIT.trainPercent) / 100);
  const validationEnd = Math.floor((rawRows * ARRIVED_SPLIT.validationEndPercent) / 100);
  return { train: [0, trainEnd], validation: [trainEnd, validationEnd], test: [validationEnd, rawRows] };
}

/** The raw positions [from, to) of a file's held-back rows: those after the origin initial set, the data that "arrives" later. */
export function heldBackRange(rawRows: number): readonly [number, number] {
  return originBounds(rawRows).future;
}

/** The manifest's description of the origin split of `rawRows` raw rows. */
export function describeOriginSplit(rawRows: number): SplitDescription {
  const bounds = originBounds(rawRows);
  return {
    kind: 'origin',
    raw_rows: rawRows,
    initial_rows: bounds.test[1],
    applied: 'split raw rows by position, then clean each split',
    raw_ranges: Object.fromEntries(
      Object.entries(bounds).map(([name, [from, to]]) => [name, { first: from, last: to - 1 }]),
    ) as Record<SplitName, { first: number; last: number }>,
  };
}

/** Plans the split of `rawRows` raw data rows. */
export function planSplit(rawRows: number, spec: SplitSpec = { kind: 'origin' }): SplitPlan {
  if (spec.kind === 'origin') {
    const bounds = originBounds(rawRows);
    return {
      parts: {
        train: range(...bounds.train),
        validation: range(...bounds.validation),
        test: range(...bounds.test),
        future: range(...bounds.future),
      },
      description: describeOriginSplit(rawRows),
    };
  }
  const order = shuffledIndexes(rawRows, seededRandom(spec.seed));
  const trainEnd = Math.floor(spec.fractions.train * rawRows);
  const validationEnd = Math.min(rawRows, trainEnd + Math.floor(spec.fractions.validation * rawRows));
  return {
    parts: {
      train: order.slice(0, trainEnd),
      validation: order.slice(trainEnd, validationEnd),
      test: order.slice(validationEnd),
    },
    description: {
      kind: 'random',
      raw_rows: rawRows,
      fractions: spec.fractions,
      seed: spec.seed,
      prng: 'xoshiro128** + Fisher-Yates',
      applied: 'shuffle raw rows, split, then clean each split',
    },
  };
}
