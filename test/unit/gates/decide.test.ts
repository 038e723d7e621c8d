/** The deployment decision on concrete scenarios: real comparisons of scored rows, and hand-made ones. */
import { describe, expect, it } from 'vitest';
import {
  type Comparison,
  compareModels,
  type DecideInput,
  decide,
  type GateDecision,
  gateDecisionSchema,
} from '../../../src/gates/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { comparisonOf, DEFAULT_CONFIG, scoredRows } from './fixtures.ts';

const NOW = new Date('2024-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const FRESH = { version: '4', promoted_at: daysAgo(3) };
const STALE = { version: '4', promoted_at: daysAgo(45) };

function compared(rows: ReturnType<typeof scoredRows>): Comparison {
  return compareModels({
    labels: rows.labels,
    candidate: { probabilities: rows.candidate, threshold: 0.5 },
    production: { probabilities: rows.production, threshold: 0.5 },
    config: DEFAULT_CONFIG,
  });
}

function input(comparison: Comparison | null, overrides: Partial<DecideInput> = {}): DecideInput {
  return {
    candidate: comparison?.candidate ?? { f1: 0.61, precision: 0.58, recall: 0.64, roc_auc: 0.8 },
    comparison,
    production: comparison ? FRESH : null,
    n_rows: comparison?.n ?? 3000,
    config: DEFAULT_CONFIG,
    force: false,
    now: NOW,
    ...overrides,
  };
}

const rule = (decision: GateDecision, name: string) => decision.rules.find((r) => r.name === name)!;
const verdicts = (decision: GateDecision) => Object.fromEntries(decision.rules.map((r) => [r.name, r.passed]));

describe('decide: scenarios on real comparisons', () => {
  const identical = compared(scoredRows(3000, 21, { identical: true }));
  const better = compared(scoredRows(3000, 22, { candidateSignal: 0.5, productionSignal: 0.25 }));

  it('an identical candidate (same predictions) → SKIP, with the failing rules as reasons', () => {
    const decision = gateDecisionSchema.parse(decide(input(identical)));
    expect(decision.decision).toBe('SKIP');
    expect(verdicts(decision)).toEqual({
      forced: null,
      sample_size: true,
      production_exists: true,
      performance: false,
      significance: false,
      degradation: true,
      staleness: false,
    });
    expect(decision.reasons).toEqual([rule(decision, 'performance').detail, rule(decision, 'significance').detail, rule(decision, 'staleness').detail]);
    expect(decision.reasons[0]).toMatch(/ΔF1 \+0\.000 does not exceed the improvement threshold 0\.020/);
    expect(decision.reasons[1]).toMatch(/lower bound of \+0\.0000 \(p = 1, 10,000 paired resamples, seed 42\): not significant/);
    expect(decision.reasons[2]).toMatch(/promoted 3\.0 days ago, within the 30-day limit/);
    expect(decision.summary).toMatch(/^Decision: SKIP\. The candidate's F1 is (\d\.\d{3}) against \1 for production version 4 .* Failing: performance, significance, staleness\.$/);
  });

  it('a clearly better candidate → DEPLOY, reasons citing threshold, significance and degradation', () => {
    expect(better.deltas.f1).toBeGreaterThan(0.05);
    const decision = decide(input(better));
    expect(decision).toMatchObject({ decision: 'DEPLOY', forced: false, bootstrap_deploy: false });
    expect(decision.reasons).toEqual([rule(decision, 'performance').detail, rule(decision, 'significance').detail, rule(decision, 'degradation').detail]);
    expect(rule(decision, 'significance').values).toMatchObject({ p_value: better.bootstrap.p_value, one_sided_lower: better.bootstrap.one_sided_lower, resamples: 10_000, seed: 42 });
    expect(decision.summary.split(/(?<=\.) (?=[A-Z])/).length).toBeGreaterThanOrEqual(2);
  });

  it('a production model that flags a single row (precision 1 on one prediction) does not block a useful candidate', () => {
    const n = 2_000;
    const labels = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
    // production flags row 0 only (a true positive); the candidate finds 80 % of positives at 75 % precision
    const production = labels.map((_, i) => (i === 0 ? 0.9 : 0.1));
    const candidate = labels.map((label, i) => (label === 1 ? (i % 10 < 8 ? 0.9 : 0.1) : i % 10 < 5 ? 0.9 : 0.1));
    const comparison = compareModels({ labels, candidate: { probabilities: candidate, threshold: 0.5 }, production: { probabilities: production, threshold: 0.5 }, config: DEFAULT_CONFIG });
    expect(comparison.production.precision).toBe(1);
    const decision = decide(input(comparison));
    expect(decision.decision).toBe('DEPLOY');
    expect(rule(decision, 'degradation').passed).toBe(true);
    expect(rule(decision, 'degradation').detail).toMatch(/production's precision rests on 1 predicted positive \(fewer than 30\), so it is not held against the candidate/);
  });

  it('stale production + equal candidate → DEPLOY_REFRESH', () => {
    const decision = decide(input(identical, { production: STALE }));
    expect(decision.decision).toBe('DEPLOY_REFRESH');
    expect(rule(decision, 'staleness')).toMatchObject({ passed: true, values: { days_since_promotion: 45, max_days_since_update: 30 } });
    expect(decision.reasons[0]).toMatch(/promoted 45\.0 days ago, more than the 30-day limit, and the candidate's F1 .* is at least production's .*: a refresh is due/);
    expect(decision.reasons).toContain(`Not a plain DEPLOY: ${rule(decision, 'performance').detail}`);
    expect(decision.summary).toMatch(/past its 30-day limit/);
  });

  it('stale production but a worse candidate → SKIP', () => {
    const worse = compared(scoredRows(3000, 23, { candidateSignal: 0.2, productionSignal: 0.35 }));
    expect(worse.deltas.f1).toBeLessThan(0);
    const decision = decide(input(worse, { production: STALE }));
    expect(decision.decision).toBe('SKIP');
    expect(rule(decision, 'staleness').detail).toMatch(/is below production's .*: no refresh is due/);
  });

  it('force → DEPLOY, recorded as forced, every rule still reported with what the gates would have said', () => {
    const decision = decide(input(identical, { force: true, n_rows: 10 }));
    expect(decision).toMatchObject({ decision: 'DEPLOY', forced: true, bootstrap_deploy: false });
    expect(verdicts(decision)).toMatchObject({ forced: true, sample_size: false, performance: false, significance: false });
    expect(decision.reasons[0]).toBe('force_deployment was set, so the candidate is deployed whatever the other gates say.');
    expect(decision.reasons[1]).toBe('Without force_deployment the gates would have decided SKIP:');
    expect(decision.reasons[2]).toMatch(/^Only 10 labelled rows to compare on, need 1,000/);
    expect(decision.summary).toMatch(/^Decision: DEPLOY, forced by force_deployment\. .* Without force the gates would have decided SKIP: Only 10 labelled rows/);
  });

  it('too few rows → SKIP, even for a clearly better candidate', () => {
    const decision = decide(input(better, { n_rows: 600 }));
    expect(decision.decision).toBe('SKIP');
    expect(decision.reasons[0]).toBe('Only 600 labelled rows to compare on, need 1,000 (min_sample_size).');
    expect(decision.reasons.slice(1)).toEqual([rule(decision, 'staleness').detail]); // every other failing rule follows
    expect(rule(decision, 'performance').passed).toBe(true); // still evaluated and reported
  });
});

describe('decide: hand-made comparisons', () => {
  it('no production model → DEPLOY as the bootstrap deployment, comparison rules not applicable', () => {
    const decision = decide(input(null));
    expect(decision).toMatchObject({ decision: 'DEPLOY', forced: false, bootstrap_deploy: true });
    expect(verdicts(decision)).toEqual({
      forced: null,
      sample_size: true,
      production_exists: false,
      performance: null,
      significance: null,
      degradation: null,
      staleness: null,
    });
    expect(decision.reasons).toEqual(['No production model exists yet, so the candidate is deployed as the first production model (bootstrap deployment).']);
    expect(decision.summary).toBe(
      'Decision: DEPLOY. The candidate has F1 0.610 on 3,000 held-out rows. There is no production model yet, so this candidate becomes the first one.',
    );
  });

  it('no production model and too few rows → SKIP', () => {
    expect(decide(input(null, { n_rows: 999 }))).toMatchObject({ decision: 'SKIP', bootstrap_deploy: false, reasons: ['Only 999 labelled rows to compare on, need 1,000 (min_sample_size).'] });
  });

  it('a better, significant candidate that loses too much recall → SKIP on degradation', () => {
    const comparison = comparisonOf({ candidate: { f1: 0.7, recall: 0.5 }, production: { f1: 0.62, recall: 0.6 }, lowerBound: 0.03, pValue: 0.001 });
    const decision = decide(input(comparison));
    expect(verdicts(decision)).toMatchObject({ performance: true, significance: true, degradation: false });
    expect(decision.decision).toBe('SKIP');
    expect(decision.reasons).toContain(
      'recall dropped by 0.100, more than the tolerated 0.050 (precision +0.000, recall -0.100, ROC AUC +0.000).',
    );
  });

  it('a better, significant candidate whose recall fell only by its higher threshold → DEPLOY, the trade-off named', () => {
    const comparison = comparisonOf({
      candidate: { f1: 0.6, precision: 0.62, recall: 0.58 },
      production: { f1: 0.55, precision: 0.5, recall: 0.65 },
      matched: { recall_at_production_precision: 0.66, precision_at_production_recall: 0.55 },
      lowerBound: 0.02,
      pValue: 0.001,
    });
    const decision = decide(input(comparison));
    expect(decision.decision).toBe('DEPLOY');
    expect(rule(decision, 'degradation').detail).toBe(
      'No metric dropped by more than the tolerated 0.050 (precision +0.120, recall -0.070, ROC AUC +0.000). ' +
        "Note: recall -0.070 is the candidate's operating point, not a weaker model: at production's precision 0.500 the candidate's recall is 0.660 against production's 0.650.",
    );
  });

  it('tolerates a drop of exactly max_degradation despite rounding noise (0.8 − 0.75)', () => {
    const comparison = comparisonOf({ candidate: { f1: 0.7, precision: 0.75 }, production: { f1: 0.62, precision: 0.8 }, lowerBound: 0.03, pValue: 0.001 });
    expect(decide(input(comparison)).decision).toBe('DEPLOY');
  });

  it('ΔF1 above the threshold but not significant → SKIP on significance', () => {
    const lowBound = decide(input(comparisonOf({ candidate: { f1: 0.65 }, production: { f1: 0.62 }, lowerBound: -0.004, pValue: 0.08 })));
    expect(lowBound.decision).toBe('SKIP');
    expect(rule(lowBound, 'significance').detail).toMatch(/not significant \(the lower bound is not above 0 and p is not below 0\.05\)/);
    // The bound alone is not enough: the p-value must also be below 1 − confidence.
    const highP = decide(input(comparisonOf({ candidate: { f1: 0.65 }, production: { f1: 0.62 }, lowerBound: 0.001, pValue: 0.05 })));
    expect(rule(highP, 'significance').passed).toBe(false);
  });

  it('ΔF1 exactly at the threshold does not pass (it must exceed it)', () => {
    const decision = decide(input(comparisonOf({ candidate: { f1: 0.5 }, production: { f1: 0.5 }, lowerBound: 0.01, pValue: 0 }), { config: { ...DEFAULT_CONFIG, improvement_threshold: 0 } }));
    expect(rule(decision, 'performance').passed).toBe(false);
  });

  it('unknown promotion date → staleness not applicable, and a SKIP says so', () => {
    const decision = decide(input(comparisonOf(), { production: { version: '9', promoted_at: null } }));
    expect(rule(decision, 'staleness')).toMatchObject({ passed: null, values: { promoted_at: null, days_since_promotion: null } });
    expect(decision.decision).toBe('SKIP');
    expect(decision.reasons.at(-1)).toBe(
      'Not applicable: production version 9 has no recorded promotion date, so its age is unknown and it cannot be refreshed for staleness.',
    );
  });

  it('ROC AUC missing (single class) is left out of the degradation check', () => {
    const comparison = comparisonOf({ candidate: { f1: 0.7, roc_auc: null }, production: { f1: 0.6, roc_auc: null }, lowerBound: 0.05, pValue: 0 });
    const decision = decide(input(comparison));
    expect(decision.decision).toBe('DEPLOY');
    expect(rule(decision, 'degradation').detail).toMatch(/ROC AUC n\/a \(single class\)/);
    expect(rule(decision, 'degradation').values.delta_roc_auc).toBeNull();
  });

  it('refuses inconsistent or malformed input with a BadDataError', () => {
    expect(() => decide(input(comparisonOf(), { production: null }))).toThrow(
      new BadDataError(
        'The gate decision got a comparison but no production model; pass both (production exists and was scored) or neither (no production model yet).',
      ),
    );
    expect(() => decide(input(null, { production: FRESH }))).toThrow(/a production model but no comparison/);
    expect(() => decide(input(comparisonOf(), { production: { version: '1', promoted_at: 'last week' } }))).toThrow(/production\.promoted_at: must be an ISO date-time/);
    expect(() => decide(input(null, { n_rows: -1 }))).toThrow(/n_rows/);
    expect(() => decide(input(null, { now: new Date(Number.NaN) }))).toThrow(BadDataError);
    expect(() => decide(input(comparisonOf({ confidence: 0.9 })))).toThrow(
      /bootstrap bound is at confidence 0\.9 but the gates are configured at 0\.95; compare and decide with the same gate configuration/,
    );
  });
});
