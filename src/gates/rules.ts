/**
 * The individual quality-gate rules. Each returns its verdict (`passed`: true, false, or null
 * when not applicable), a sentence with the numbers, and the numbers themselves. They never
 * decide anything on their own; `decide.ts` combines them.
 */
import { z } from 'zod';
import type { Comparison } from './compare.ts';
import type { GateConfig } from './config.ts';
import { count, fixed, percent, pValue, signed } from './format.ts';

/** In reporting order, which is also the order of precedence. */
export const GATE_RULE_NAMES = ['forced', 'sample_size', 'production_exists', 'performance', 'significance', 'degradation', 'staleness'] as const;
export type GateRuleName = (typeof GATE_RULE_NAMES)[number];

export const gateRuleSchema = z.object({
  name: z.enum(GATE_RULE_NAMES),
  /** null: not applicable to this comparison. */
  passed: z.boolean().nullable(),
  detail: z.string().min(1),
  values: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
});
export type GateRule = z.infer<typeof gateRuleSchema>;

export interface ProductionInfo {
  readonly version: string;
  /** ISO timestamp of the promotion to production; null when unknown. */
  readonly promoted_at: string | null;
}

const DAY_MS = 86_400_000;
/** Drops within this of max_degradation count as equal: metric differences carry rounding noise (0.8 − 0.75 > 0.05). */
const DEGRADATION_TOLERANCE = 1e-9;
const GUARDED_METRICS = ['precision', 'recall', 'roc_auc'] as const;
const METRIC_LABEL: Record<(typeof GUARDED_METRICS)[number], string> = { precision: 'precision', recall: 'recall', roc_auc: 'ROC AUC' };

const notApplicable = (name: GateRuleName, detail: string, values: GateRule['values'] = {}): GateRule => ({ name, passed: null, detail, values });

export function forcedRule(force: boolean): GateRule {
  return force
    ? { name: 'forced', passed: true, detail: 'force_deployment was set, so the candidate is deployed whatever the other gates say.', values: { force: 'true' } }
    : notApplicable('forced', 'force_deployment was not set; the gates decide.', { force: 'false' });
}

export function sampleSizeRule(nRows: number, config: GateConfig): GateRule {
  const passed = nRows >= config.min_sample_size;
  const detail = passed
    ? `${count(nRows)} labelled rows were compared, at least the ${count(config.min_sample_size)} required.`
    : `Only ${count(nRows)} labelled rows to compare on, need ${count(config.min_sample_size)} (min_sample_size).`;
  return { name: 'sample_size', passed, detail, values: { n_rows: nRows, min_sample_size: config.min_sample_size } };
}

export function productionExistsRule(production: ProductionInfo | null): GateRule {
  if (!production) {
    return {
      name: 'production_exists',
      passed: false,
      detail: 'No production model is registered yet, so there is nothing to compare against.',
      values: { version: null, promoted_at: null },
    };
  }
  const when = production.promoted_at ? `, promoted ${production.promoted_at}` : ', promotion date unknown';
  return {
    name: 'production_exists',
    passed: true,
    detail: `Production is version ${production.version}${when}.`,
    values: { version: production.version, promoted_at: production.promoted_at },
  };
}

/** The improvement rule: ΔF1 (candidate − production) must exceed the threshold. */
export function f1Improvement(comparison: Comparison, threshold: number): { delta: number; passed: boolean } {
  const delta = comparison.candidate.f1 - comparison.production.f1;
  return { delta, passed: delta > threshold };
}

export function performanceRule(comparison: Comparison | null, config: GateConfig): GateRule {
  const threshold = config.improvement_threshold;
  if (!comparison) return notApplicable('performance', 'Not applicable: there is no production model to improve on.', { improvement_threshold: threshold });
  const { candidate, production } = comparison;
  const { delta, passed } = f1Improvement(comparison, threshold);
  return {
    name: 'performance',
    passed,
    detail:
      `Candidate F1 ${fixed(candidate.f1)} vs production ${fixed(production.f1)}: ΔF1 ${signed(delta)} ` +
      `${passed ? 'exceeds' : 'does not exceed'} the improvement threshold ${fixed(threshold)}.`,
    values: { candidate_f1: candidate.f1, production_f1: production.f1, delta_f1: delta, improvement_threshold: threshold },
  };
}

export function significanceRule(comparison: Comparison | null, config: GateConfig): GateRule {
  const confidence = config.confidence_level;
  // 1 − 0.95 is 0.050000000000000044 in doubles, which would let p = 500/10 000 through.
  const alpha = Number((1 - confidence).toPrecision(12));
  if (!comparison) return notApplicable('significance', 'Not applicable: there is no production model to compare against.', { confidence_level: confidence });
  const { bootstrap: boot, mcnemar } = comparison;
  const boundOk = boot.one_sided_lower > 0;
  const pOk = boot.p_value < alpha;
  const passed = boundOk && pOk;
  const verdict = passed
    ? 'significant'
    : `not significant (${[!boundOk && 'the lower bound is not above 0', !pOk && `p is not below ${alpha}`].filter(Boolean).join(' and ')})`;
  return {
    name: 'significance',
    passed,
    detail:
      `ΔF1 ${signed(boot.delta)} has a one-sided ${percent(confidence)} bootstrap lower bound of ${signed(boot.one_sided_lower, 4)} ` +
      `(${pValue(boot.p_value, boot.valid_resamples)}, ${count(boot.resamples)} paired resamples, seed ${boot.seed}): ${verdict}; ` +
      `McNemar, reported only: ${pValue(mcnemar.p_value)} (${mcnemar.method}, ${mcnemar.b} rows only the candidate got right, ${mcnemar.c} only production).`,
    values: {
      delta_f1: boot.delta,
      one_sided_lower: boot.one_sided_lower,
      p_value: boot.p_value,
      alpha,
      confidence_level: confidence,
      resamples: boot.resamples,
      seed: boot.seed,
      mcnemar_b: mcnemar.b,
      mcnemar_c: mcnemar.c,
      mcnemar_p_value: mcnemar.p_value,
      mcnemar_method: mcnemar.method,
    },
  };
}

export interface MetricDrop {
  readonly metric: (typeof GUARDED_METRICS)[number];
  readonly label: string;
  /** candidate − production; null when undefined for these rows. */
  readonly delta: number | null;
  /** The drop is larger than max_degradation, also at production's operating point, and the metric is supported by enough rows. */
  readonly excessive: boolean;
  /** Set when production's value rests on too few predictions to hold the candidate to it. */
  readonly unsupported?: string;
  /**
   * Set when the drop at the candidate's own threshold is larger than max_degradation but the
   * candidate keeps production's value at production's operating point: its threshold trades
   * this metric for the other, its curve is not lower.
   */
  readonly tradeOff?: string;
}

/**
 * Production's precision is only a bar to clear when it rests on this many predicted
 * positives: a model that flags one row, correctly, has precision 1 and would otherwise block
 * every useful candidate (and its staleness refresh) forever.
 */
export const MIN_PRECISION_SUPPORT = 30;

/** Rows production predicted positive, recovered from its recall, precision and the positives. */
function predictedPositives(comparison: Comparison): number {
  const { precision, recall } = comparison.production;
  return precision > 0 ? Math.round((recall * comparison.positives) / precision) : 0;
}

/** The candidate's value of `metric` where production operates: recall at production's precision, precision at production's recall. */
function matchedValue(comparison: Comparison, metric: (typeof GUARDED_METRICS)[number]): { value: number; other: 'precision' | 'recall' } | null {
  if (metric === 'recall') {
    const value = comparison.matched.recall_at_production_precision;
    return value === null ? null : { value, other: 'precision' };
  }
  if (metric === 'precision') {
    const value = comparison.matched.precision_at_production_recall;
    return value === null ? null : { value, other: 'recall' };
  }
  return null;
}

/**
 * Precision, recall and ROC AUC of the candidate against production, each flagged when it fell
 * too far. Precision and recall fall too far only when they do so at the candidate's own
 * threshold AND at production's operating point: a higher threshold that gives up recall for
 * precision (F1, the gain the other rules demand, arbitrates that trade) is not a weaker model.
 */
export function metricDrops(comparison: Comparison, maxDegradation: number): MetricDrop[] {
  const support = predictedPositives(comparison);
  const tooFar = (delta: number) => -delta > maxDegradation + DEGRADATION_TOLERANCE;
  return GUARDED_METRICS.map((metric) => {
    const c = comparison.candidate[metric];
    const p = comparison.production[metric];
    const delta = c === null || p === null ? null : c - p;
    const base = { metric, label: METRIC_LABEL[metric], delta };
    if (metric === 'precision' && support < MIN_PRECISION_SUPPORT) {
      const unsupported = `production's precision rests on ${support} predicted positive${support === 1 ? '' : 's'} (fewer than ${MIN_PRECISION_SUPPORT}), so it is not held against the candidate`;
      return { ...base, excessive: false, unsupported };
    }
    if (delta === null || !tooFar(delta)) return { ...base, excessive: false };
    const matched = matchedValue(comparison, metric);
    if (matched === null || tooFar(matched.value - p!)) return { ...base, excessive: true };
    const tradeOff =
      `${METRIC_LABEL[metric]} ${signed(delta)} is the candidate's operating point, not a weaker model: at production's ` +
      `${matched.other} ${fixed(comparison.production[matched.other])} the candidate's ${METRIC_LABEL[metric]} is ${fixed(matched.value)} ` +
      `against production's ${fixed(p!)}`;
    return { ...base, excessive: false, tradeOff };
  });
}

export function degradationRule(comparison: Comparison | null, config: GateConfig): GateRule {
  const limit = config.max_degradation;
  if (!comparison) return notApplicable('degradation', 'Not applicable: there is no production model to degrade from.', { max_degradation: limit });
  const drops = metricDrops(comparison, limit);
  const failing = drops.filter((d) => d.excessive);
  const listing = drops.map((d) => `${d.label} ${d.delta === null ? 'n/a (single class)' : signed(d.delta)}`).join(', ');
  const notes = drops.flatMap((d) => [d.unsupported, d.tradeOff].filter(Boolean).map((note) => ` Note: ${note}.`)).join('');
  const detail = failing.length
    ? `${failing.map((d) => `${d.label} dropped by ${fixed(-d.delta!)}`).join(' and ')}, more than the tolerated ${fixed(limit)} (${listing}).${notes}`
    : `No metric dropped by more than the tolerated ${fixed(limit)} (${listing}).${notes}`;
  const values: GateRule['values'] = { max_degradation: limit };
  for (const d of drops) values[`delta_${d.metric}`] = d.delta;
  values.recall_at_production_precision = comparison.matched.recall_at_production_precision;
  values.precision_at_production_recall = comparison.matched.precision_at_production_recall;
  return { name: 'degradation', passed: failing.length === 0, detail, values };
}

export function stalenessRule(comparison: Comparison | null, production: ProductionInfo | null, config: GateConfig, now: Date): GateRule {
  const maxDays = config.max_days_since_update;
  if (!comparison || !production) {
    return notApplicable('staleness', 'Not applicable: there is no production model to refresh.', { max_days_since_update: maxDays, promoted_at: null });
  }
  const { candidate, production: prod } = comparison;
  const base = { max_days_since_update: maxDays, promoted_at: production.promoted_at, candidate_f1: candidate.f1, production_f1: prod.f1 };
  if (production.promoted_at === null) {
    return notApplicable(
      'staleness',
      `Not applicable: production version ${production.version} has no recorded promotion date, so its age is unknown and it cannot be refreshed for staleness.`,
      { ...base, days_since_promotion: null },
    );
  }
  const days = (now.getTime() - Date.parse(production.promoted_at)) / DAY_MS;
  const stale = days > maxDays;
  const atLeastAsGood = candidate.f1 >= prod.f1;
  const age = `Production version ${production.version} was promoted ${fixed(days, 1)} days ago, ${stale ? 'more than' : 'within'} the ${maxDays}-day limit`;
  const quality = `the candidate's F1 ${fixed(candidate.f1)} is ${atLeastAsGood ? 'at least' : 'below'} production's ${fixed(prod.f1)}`;
  const outcome = stale && atLeastAsGood ? 'a refresh is due' : 'no refresh is due';
  return {
    name: 'staleness',
    passed: stale && atLeastAsGood,
    detail: `${age}, and ${quality}: ${outcome}.`,
    values: { ...base, days_since_promotion: days },
  };
}
