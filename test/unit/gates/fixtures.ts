/** Shared builders for the gate tests: synthetic scored rows and hand-made comparisons. */
import fc from 'fast-check';
import { Xoshiro128ss } from '../../../src/runtime/random.ts';
import type { Comparison, GateConfig } from '../../../src/gates/index.ts';
import { gateConfigSchema, mcnemar, oneSidedLevel } from '../../../src/gates/index.ts';

export const DEFAULT_CONFIG: GateConfig = gateConfigSchema.parse({});

/**
 * Held-out rows (prevalence ~30 %) and two models' probabilities: each is the label pulled
 * towards 1 by `signal` plus uniform noise, so a larger signal is a better model. With
 * `sameAs: 'production'` the candidate's scores are production's, row for row.
 */
export function scoredRows(
  n: number,
  seed: number,
  options: { candidateSignal?: number; productionSignal?: number; identical?: boolean } = {},
): { labels: Uint8Array; candidate: Float64Array; production: Float64Array } {
  const { candidateSignal = 0.3, productionSignal = 0.3, identical = false } = options;
  const rng = new Xoshiro128ss(seed);
  const u = () => rng.next() / 4294967296;
  const labels = new Uint8Array(n);
  const candidate = new Float64Array(n);
  const production = new Float64Array(n);
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  for (let i = 0; i < n; i++) {
    labels[i] = u() < 0.3 ? 1 : 0;
    production[i] = clamp(0.3 + productionSignal * labels[i]! + (u() - 0.5) * 0.8);
    candidate[i] = identical ? production[i]! : clamp(0.3 + candidateSignal * labels[i]! + (u() - 0.5) * 0.8);
  }
  return { labels, candidate, production };
}

export interface ComparisonNumbers {
  n?: number;
  candidate?: Partial<Comparison['candidate']>;
  production?: Partial<Comparison['production']>;
  /** The candidate at production's operating point; default: its own recall and precision (no trade-off to explain a drop). */
  matched?: Partial<Comparison['matched']>;
  /** One-sided lower bound of ΔF1; the two-sided interval is built around it. */
  lowerBound?: number;
  upper?: number;
  pValue?: number;
  confidence?: number;
  b?: number;
  c?: number;
}

/** A self-consistent Comparison from the numbers a test cares about. */
export function comparisonOf(numbers: ComparisonNumbers = {}): Comparison {
  const candidate = { threshold: 0.5, f1: 0.6, precision: 0.6, recall: 0.6, roc_auc: 0.8, ...numbers.candidate };
  const production = { threshold: 0.5, f1: 0.6, precision: 0.6, recall: 0.6, roc_auc: 0.8, ...numbers.production };
  const delta = candidate.f1 - production.f1;
  const confidence = numbers.confidence ?? 0.95;
  const lower = numbers.lowerBound ?? delta - 0.02;
  return {
    n: numbers.n ?? 2000,
    positives: Math.round((numbers.n ?? 2000) * 0.3),
    candidate,
    production,
    deltas: {
      f1: delta,
      precision: candidate.precision - production.precision,
      recall: candidate.recall - production.recall,
      roc_auc: candidate.roc_auc === null || production.roc_auc === null ? null : candidate.roc_auc - production.roc_auc,
    },
    matched: { recall_at_production_precision: candidate.recall, precision_at_production_recall: candidate.precision, ...numbers.matched },
    bootstrap: {
      metric: 'f1',
      delta,
      lower,
      upper: numbers.upper ?? Math.max(lower, 2 * delta - lower),
      level: oneSidedLevel(confidence).level,
      one_sided_lower: lower,
      confidence_level: confidence,
      p_value: numbers.pValue ?? (lower > 0 ? 0.001 : 0.3),
      resamples: 10_000,
      valid_resamples: 10_000,
      seed: 42,
    },
    mcnemar: mcnemar(numbers.b ?? 40, numbers.c ?? 30),
  };
}

// ---------------------------------------------------------------------------------------------
// arbitraries

const unitDouble = fc.double({ min: 0, max: 1, noNaN: true });

/** Valid gate settings, biased towards the interesting small values. */
export const configArb: fc.Arbitrary<GateConfig> = fc.record({
  improvement_threshold: fc.oneof(fc.constantFrom(0, 0.02, 0.05), fc.double({ min: 0, max: 0.15, noNaN: true })),
  confidence_level: fc.oneof(fc.constantFrom(0.9, 0.95, 0.99), fc.double({ min: 0.001, max: 0.999, noNaN: true })),
  min_sample_size: fc.integer({ min: 1, max: 5000 }),
  max_days_since_update: fc.integer({ min: 1, max: 365 }),
  max_degradation: fc.oneof(fc.constantFrom(0, 0.05), fc.double({ min: 0, max: 0.2, noNaN: true }), unitDouble),
  bootstrap_resamples: fc.constant(10_000),
  seed: fc.nat({ max: 0xffffffff }),
});

const metricsArb = fc.record({
  threshold: unitDouble,
  f1: unitDouble,
  precision: unitDouble,
  recall: unitDouble,
  roc_auc: fc.option(unitDouble, { nil: null }),
});

/** 0, anything in [min, max], or a gain in [0, max]: improvements, ties and losses are all common. */
const deltaArb = (min: number, max: number) =>
  fc.oneof(fc.constant(0), fc.double({ min, max, noNaN: true }), fc.double({ min: 0, max, noNaN: true }));
const clampUnit = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Arbitrary comparisons: production's metrics anywhere in [0, 1], the candidate's near them
 * (F1 ties frequent), bootstrap bounds around ΔF1 (not necessarily a bootstrap's).
 */
export const comparisonArb: fc.Arbitrary<Comparison> = fc
  .record({
    production: metricsArb,
    dF1: deltaArb(-0.1, 0.2),
    dPrecision: deltaArb(-0.12, 0.1),
    dRecall: deltaArb(-0.12, 0.1),
    dRocAuc: deltaArb(-0.12, 0.1),
    /** The candidate at production's operating point, against production's recall and precision; null: its own values. */
    dMatched: fc.option(fc.tuple(deltaArb(-0.12, 0.1), deltaArb(-0.12, 0.1)), { nil: null }),
    threshold: unitDouble,
    lowerOffset: fc.double({ min: -0.1, max: 0.05, noNaN: true }),
    width: fc.double({ min: 0, max: 0.3, noNaN: true }),
    pValue: fc.oneof(fc.constantFrom(0, 0.001, 0.01, 0.5, 1), unitDouble, fc.double({ min: 0, max: 0.05, noNaN: true })),
    n: fc.integer({ min: 1, max: 10_000 }),
    b: fc.nat({ max: 200 }),
    c: fc.nat({ max: 200 }),
  })
  .map(({ production, dF1, dPrecision, dRecall, dRocAuc, dMatched, threshold, lowerOffset, width, pValue, n, b, c }) => {
    const candidate = {
      threshold,
      f1: clampUnit(production.f1 + dF1),
      precision: clampUnit(production.precision + dPrecision),
      recall: clampUnit(production.recall + dRecall),
      roc_auc: production.roc_auc === null ? null : clampUnit(production.roc_auc + dRocAuc),
    };
    const delta = candidate.f1 - production.f1;
    return comparisonOf({
      n,
      candidate,
      production,
      ...(dMatched && {
        matched: { recall_at_production_precision: clampUnit(production.recall + dMatched[0]), precision_at_production_recall: clampUnit(production.precision + dMatched[1]) },
      }),
      lowerBound: delta + lowerOffset,
      upper: delta + lowerOffset + width,
      pValue,
      b,
      c,
    });
  });

/** A comparison made with the given gate configuration's confidence level. */
export const withConfidence = (comparison: Comparison, confidence: number): Comparison => ({
  ...comparison,
  bootstrap: { ...comparison.bootstrap, confidence_level: confidence, level: oneSidedLevel(confidence).level },
});

export const NOW_MS = Date.UTC(2024, 5, 1);

/** A production model (or none) consistent with a comparison (or none). */
export const productionArb = fc.record({
  version: fc.integer({ min: 1, max: 500 }).map(String),
  promoted_at: fc.option(
    fc.integer({ min: -400, max: 30 }).map((days) => new Date(NOW_MS + days * 86_400_000 + 3_600_000).toISOString()),
    { nil: null },
  ),
});
