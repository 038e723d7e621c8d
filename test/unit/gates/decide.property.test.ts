/** Properties of the deployment decision over arbitrary valid inputs (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareModels,
  type DecideInput,
  decide,
  GATE_RULE_NAMES,
  type GateDecision,
  gateDecisionSchema,
  recommend,
  recommendationsSchema,
} from '../../../src/gates/index.ts';
import { comparisonArb, configArb, DEFAULT_CONFIG, NOW_MS, productionArb, scoredRows, withConfidence } from './fixtures.ts';

const DAY_MS = 86_400_000;

/** true with weight `yes`, false with weight `no` (fast-check's numbers lean to their bounds, so no threshold trick). */
const weighted = (yes: number, no: number) => fc.oneof({ arbitrary: fc.constant(true), weight: yes }, { arbitrary: fc.constant(false), weight: no });

/** Inputs with a production model (and its comparison) about four times in five. */
const inputArb: fc.Arbitrary<DecideInput> = fc
  .record({
    config: configArb,
    withProduction: weighted(4, 1),
    comparison: comparisonArb,
    production: productionArb,
    n_rows: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(999, 1000, 1001)),
    force: weighted(1, 6),
    nowOffsetMs: fc.integer({ min: 0, max: 10 * DAY_MS }),
  })
  .map(({ config, withProduction, comparison, production, n_rows, force, nowOffsetMs }) => ({
    candidate: comparison.candidate,
    comparison: withProduction ? withConfidence(comparison, config.confidence_level) : null,
    production: withProduction ? production : null,
    n_rows,
    config,
    force,
    now: new Date(NOW_MS + nowOffsetMs),
  }));

const rule = (decision: GateDecision, name: (typeof GATE_RULE_NAMES)[number]) => decision.rules.find((r) => r.name === name)!;
/*
 * Implications are checked only where their premise holds (no fc.pre: a rare premise would
 * exhaust the skip budget); the last test shows the generator reaches every premise often.
 */
const RUNS = { numRuns: 1500 };

/** A test that `check` passes on RUNS generated inputs. */
const forEveryInput = (check: (input: DecideInput) => void) => () => fc.assert(fc.property(inputArb, check), RUNS);

describe('decide (properties)', () => {
  it('is total over valid inputs: never throws, always a valid decision reporting every rule in order', forEveryInput((input) => {
    const decision = decide(input);
    expect(gateDecisionSchema.parse(decision)).toEqual(decision);
    expect(decision.rules.map((r) => r.name)).toEqual([...GATE_RULE_NAMES]);
    expect(decision.reasons.length).toBeGreaterThan(0);
    expect(recommendationsSchema.parse(recommend(decision, input.comparison, input.config, input.now)).recommendations.length).toBeGreaterThan(0);
  }));

  it('never deploys (DEPLOY or DEPLOY_REFRESH) a candidate whose F1 is below production unless forced', forEveryInput((input) => {
    if (input.force || !input.comparison) return;
    const { candidate, production } = input.comparison;
    if (candidate.f1 < production.f1) expect(decide(input).decision).toBe('SKIP');
  }));

  it('DEPLOY (not forced, production exists) implies the threshold, significance and degradation rules hold', forEveryInput((input) => {
    const decision = decide(input);
    if (decision.decision !== 'DEPLOY' || input.force || !input.comparison) return;
    const { candidate, production, bootstrap } = input.comparison;
    expect(candidate.f1 - production.f1).toBeGreaterThan(input.config.improvement_threshold);
    expect(bootstrap.one_sided_lower).toBeGreaterThan(0);
    expect(bootstrap.p_value).toBeLessThan(1 - input.config.confidence_level + 1e-12); // alpha is read at 12 digits
    expect(input.n_rows).toBeGreaterThanOrEqual(input.config.min_sample_size);
    for (const name of ['performance', 'significance', 'degradation', 'sample_size'] as const) expect(rule(decision, name).passed).toBe(true);
    expect(decision.bootstrap_deploy).toBe(false);
  }));

  it('a failing degradation rule means a metric fell too far at the candidate\'s own threshold and, for precision and recall, where production operates too', forEveryInput((input) => {
    const decision = decide(input);
    const comparison = input.comparison;
    if (!comparison || rule(decision, 'degradation').passed !== false) return;
    const limit = input.config.max_degradation + 1e-9;
    const { candidate, production, matched } = comparison;
    const recallFell = production.recall - candidate.recall > limit && (matched.recall_at_production_precision === null || production.recall - matched.recall_at_production_precision > limit);
    const precisionFell = production.precision - candidate.precision > limit && (matched.precision_at_production_recall === null || production.precision - matched.precision_at_production_recall > limit);
    const aucFell = candidate.roc_auc !== null && production.roc_auc !== null && production.roc_auc - candidate.roc_auc > limit;
    expect(recallFell || precisionFell || aucFell).toBe(true);
  }));

  it('DEPLOY_REFRESH implies a stale production, a candidate at least as good, and no excess degradation', forEveryInput((input) => {
    const decision = decide(input);
    if (decision.decision !== 'DEPLOY_REFRESH') return;
    const { candidate, production } = input.comparison!;
    const promotedAt = input.production!.promoted_at;
    expect(promotedAt).not.toBeNull();
    expect((input.now.getTime() - Date.parse(promotedAt!)) / DAY_MS).toBeGreaterThan(input.config.max_days_since_update);
    expect(candidate.f1).toBeGreaterThanOrEqual(production.f1);
    expect(rule(decision, 'staleness').passed).toBe(true);
    expect(rule(decision, 'degradation').passed).toBe(true);
    expect(decision.forced).toBe(false);
  }));

  it('force always deploys, recorded as forced, with every rule still evaluated', forEveryInput((input) => {
    const decision = decide({ ...input, force: true });
    expect(decision.decision).toBe('DEPLOY');
    expect(decision.forced).toBe(true);
    expect(rule(decision, 'forced').passed).toBe(true);
    expect(decision.reasons[0]).toMatch(/force_deployment/);
    const unforced = decide({ ...input, force: false });
    // The other rules' verdicts do not depend on force.
    expect(decision.rules.slice(1)).toEqual(unforced.rules.slice(1));
    expect(decision.reasons.join(' ')).toContain(`would have decided ${unforced.decision}`);
  }));

  it('fewer rows than min_sample_size always SKIPs unless forced, the sample size being the first reason', forEveryInput((input) => {
    if (input.force || input.n_rows >= input.config.min_sample_size) return;
    const decision = decide(input);
    expect(decision.decision).toBe('SKIP');
    expect(decision.reasons[0]).toContain(`need ${input.config.min_sample_size.toLocaleString('en-US')}`);
  }));

  it('bootstrap_deploy exactly when there is no production model and the decision is DEPLOY', forEveryInput((input) => {
    const decision = decide(input);
    expect(decision.bootstrap_deploy).toBe(input.production === null && decision.decision === 'DEPLOY');
    if (input.production === null && !input.force) {
      expect(decision.decision).toBe(input.n_rows >= input.config.min_sample_size ? 'DEPLOY' : 'SKIP');
    }
  }));

  it('a SKIP (not forced) gives every failing rule as a reason', forEveryInput((input) => {
    const decision = decide(input);
    if (decision.decision !== 'SKIP') return;
    for (const r of decision.rules.filter((r) => r.passed === false && r.name !== 'production_exists')) {
      expect(decision.reasons).toContain(r.detail);
    }
  }));

  it('compare + decide are deterministic for a seed (deep equal), on real bootstraps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 300 }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (n, dataSeed, gateSeed, candidateSignal) => {
          const rows = scoredRows(n, dataSeed, { candidateSignal });
          const config = { ...DEFAULT_CONFIG, seed: gateSeed, min_sample_size: 10 };
          const run = () => {
            const comparison = compareModels({
              labels: rows.labels,
              candidate: { probabilities: rows.candidate, threshold: 0.5 },
              production: { probabilities: rows.production, threshold: 0.45 },
              config,
            });
            const production = { version: '7', promoted_at: new Date(NOW_MS - 40 * DAY_MS).toISOString() };
            const decision = decide({ candidate: comparison.candidate, comparison, production, n_rows: n, config, force: false, now: new Date(NOW_MS) });
            return { comparison, decision, next: recommend(decision, comparison, config, new Date(NOW_MS)) };
          };
          expect(run()).toStrictEqual(run());
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('the decision generator', () => {
  it('reaches every decision, so the implications above are not vacuous', () => {
    const seen = new Map<string, number>();
    for (const input of fc.sample(inputArb, { numRuns: 4000, seed: 1 })) {
      const d = decide(input);
      const key = `${d.decision}${d.forced ? ' forced' : ''}${d.bootstrap_deploy ? ' bootstrap' : ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const key of ['DEPLOY', 'DEPLOY bootstrap', 'DEPLOY forced', 'DEPLOY_REFRESH', 'SKIP']) expect(seen.get(key) ?? 0, key).toBeGreaterThan(40);
  });
});
