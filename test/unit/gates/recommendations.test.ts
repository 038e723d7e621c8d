/** Recommendations after a gate decision, and the next suggested training date. */
import { describe, expect, it } from 'vitest';
import { type Comparison, type DecideInput, decide, normalQuantile, recommend, recommendationsSchema } from '../../../src/gates/index.ts';
import { comparisonOf, DEFAULT_CONFIG } from './fixtures.ts';

const NOW = new Date('2024-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

function advise(comparison: Comparison | null, overrides: Partial<DecideInput> = {}) {
  const input: DecideInput = {
    candidate: comparison?.candidate ?? { f1: 0.6, precision: 0.6, recall: 0.6, roc_auc: 0.8 },
    comparison,
    production: comparison ? { version: '2', promoted_at: daysAgo(12) } : null,
    n_rows: comparison?.n ?? 2000,
    config: DEFAULT_CONFIG,
    force: false,
    now: NOW,
    ...overrides,
  };
  const decision = decide(input);
  return { decision, ...recommendationsSchema.parse(recommend(decision, comparison, input.config, NOW)) };
}

describe('recommend', () => {
  it('says how much more F1 the candidate needs to pass the threshold', () => {
    const { decision, recommendations } = advise(comparisonOf({ candidate: { f1: 0.607 }, production: { f1: 0.6 } }));
    expect(decision.decision).toBe('SKIP');
    expect(recommendations[0]).toBe('The candidate needs +0.013 F1 to pass the 0.020 improvement threshold (ΔF1 is +0.007).');
  });

  it('asks for more labelled rows when ΔF1 clears the threshold but is not significant (se shrinking as 1/√n)', () => {
    const comparison = comparisonOf({ n: 2000, candidate: { f1: 0.65 }, production: { f1: 0.62 }, lowerBound: -0.005, upper: 0.065, pValue: 0.08 });
    const { decision, recommendations } = advise(comparison);
    expect(decision.decision).toBe('SKIP');
    // Independently: se = (upper − lower) / (2·z) with z = Φ⁻¹(0.95) for the 90 % interval; n_needed = n·(z·se/ΔF1)².
    const z = normalQuantile(0.95);
    const se = 0.07 / (2 * z);
    const needed = 2000 * ((z * se) / 0.03) ** 2; // 2722.2
    expect(Math.ceil(needed - 2000)).toBe(723);
    expect(recommendations[0]).toBe(
      'ΔF1 +0.030 clears the threshold but is not significant at 95%: collect about 723 more labelled rows (about 2,723 in total) for the lower bound to clear 0, if the gain holds.',
    );
  });

  it('asks for the missing rows when the sample is too small', () => {
    const { recommendations } = advise(null, { n_rows: 400 });
    expect(recommendations[0]).toBe('Only 400 labelled rows were available; collect at least 600 more (min_sample_size 1,000) before the next comparison.');
  });

  it('points at the degraded metric', () => {
    const comparison = comparisonOf({ candidate: { f1: 0.7, precision: 0.5 }, production: { f1: 0.6, precision: 0.62 }, lowerBound: 0.04, pValue: 0 });
    const { decision, recommendations } = advise(comparison);
    expect(decision.decision).toBe('SKIP');
    expect(recommendations).toContain(
      "The candidate's precision is 0.120 below production's (tolerated: 0.050); check its decision threshold and the class balance of the training data before retraining.",
    );
  });

  it('asks for the promotion date when staleness cannot be judged', () => {
    const { recommendations } = advise(comparisonOf(), { production: { version: '2', promoted_at: null } });
    expect(recommendations).toContain("Record when production was promoted (the model version's deployed_at tag) so that staleness can be judged.");
  });

  it('warns after a forced deployment past failing gates', () => {
    const { recommendations } = advise(comparisonOf({ candidate: { f1: 0.55 }, production: { f1: 0.6 } }), { force: true });
    expect(recommendations[0]).toBe('The deployment was forced past failing gates (performance, significance, staleness): watch the live metrics and be ready to roll back.');
    expect(recommendations.join(' ')).not.toMatch(/needs \+/); // deployed: how to pass next time is moot
  });

  it('notes a bootstrap deployment', () => {
    expect(advise(null).recommendations[0]).toBe('This is the first production model; later candidates are compared against it.');
  });

  describe('next training date', () => {
    it('is the day production turns stale when that is still ahead', () => {
      const { next_training_date, recommendations } = advise(comparisonOf(), { production: { version: '2', promoted_at: '2024-05-20T08:00:00Z' } });
      expect(next_training_date).toBe('2024-06-19');
      expect(recommendations.at(-1)).toBe('Next suggested training: 2024-06-19 (when the current production model turns 30 days old).');
    });

    it('is a week from now when production is already stale (and was not refreshed)', () => {
      const worse = comparisonOf({ candidate: { f1: 0.5 }, production: { f1: 0.6 } });
      const { decision, next_training_date } = advise(worse, { production: { version: '2', promoted_at: daysAgo(40) } });
      expect(decision.decision).toBe('SKIP');
      expect(next_training_date).toBe('2024-06-08');
    });

    it('is a week from now when the promotion date is unknown', () => {
      expect(advise(comparisonOf(), { production: { version: '2', promoted_at: null } }).next_training_date).toBe('2024-06-08');
    });

    it('is when the newly deployed model turns stale after a DEPLOY or DEPLOY_REFRESH', () => {
      expect(advise(null).next_training_date).toBe('2024-07-01');
      const refresh = advise(comparisonOf(), { production: { version: '2', promoted_at: daysAgo(40) } });
      expect(refresh.decision.decision).toBe('DEPLOY_REFRESH');
      expect(refresh.next_training_date).toBe('2024-07-01');
      expect(refresh.recommendations).toEqual(['Next suggested training: 2024-07-01 (when the newly deployed production model turns 30 days old).']);
    });
  });
});
