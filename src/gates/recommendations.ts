/**
 * What to do after a gate decision: concrete next steps with numbers (how much more F1, how
 * many more labelled rows) and the next suggested training date. Pure.
 */
import { z } from 'zod';
import type { Comparison } from './compare.ts';
import type { GateConfig } from './config.ts';
import type { GateDecision } from './decide.ts';
import { normalQuantile } from './distributions.ts';
import { count, fixed, percent, signed } from './format.ts';
import { type GateRule, type GateRuleName, f1Improvement, metricDrops } from './rules.ts';

export const recommendationsSchema = z.object({
  recommendations: z.array(z.string()).min(1),
  /** YYYY-MM-DD (UTC). */
  next_training_date: z.iso.date(),
});
export type Recommendations = z.infer<typeof recommendationsSchema>;

const DAY_MS = 86_400_000;
const RETRY_AFTER_DAYS = 7;

export function recommend(decision: GateDecision, comparison: Comparison | null, config: GateConfig, now: Date): Recommendations {
  const rule = (name: GateRuleName) => decision.rules.find((r) => r.name === name);
  const failed = (name: GateRuleName) => rule(name)?.passed === false;
  const out: string[] = [];

  const sample = rule('sample_size');
  if (sample && failed('sample_size')) {
    const have = Number(sample.values.n_rows);
    out.push(
      `Only ${count(have)} labelled rows were available; collect at least ${count(config.min_sample_size - have)} more ` +
        `(min_sample_size ${count(config.min_sample_size)}) before the next comparison.`,
    );
  }

  // How to pass next time: only meaningful when this candidate was not deployed.
  if (comparison && decision.decision === 'SKIP') {
    const threshold = config.improvement_threshold;
    const { delta, passed } = f1Improvement(comparison, threshold);
    if (!passed) {
      // Round the gap up to the shown precision, ignoring rounding noise (0.02 − 0.007 = 0.013000000000000001).
      const gap = Math.ceil((threshold - delta) * 1000 - 1e-9) / 1000;
      out.push(`The candidate needs ${signed(Math.max(gap, 0.001))} F1 to pass the ${fixed(threshold)} improvement threshold (ΔF1 is ${signed(delta)}).`);
    } else if (failed('significance')) {
      out.push(moreRowsAdvice(comparison, delta));
    }
    for (const drop of metricDrops(comparison, config.max_degradation).filter((d) => d.excessive)) {
      out.push(
        `The candidate's ${drop.label} is ${fixed(-drop.delta!)} below production's (tolerated: ${fixed(config.max_degradation)}); ` +
          'check its decision threshold and the class balance of the training data before retraining.',
      );
    }
    const staleness = rule('staleness');
    if (staleness?.passed === null && staleness.values.promoted_at === null) {
      out.push("Record when production was promoted (the model version's deployed_at tag) so that staleness can be judged.");
    }
  }

  if (decision.forced) {
    const bypassed = decision.rules.filter((r) => r.passed === false && r.name !== 'production_exists').map((r) => r.name.replace('_', ' '));
    if (bypassed.length) out.push(`The deployment was forced past failing gates (${bypassed.join(', ')}): watch the live metrics and be ready to roll back.`);
  }
  if (decision.bootstrap_deploy) out.push('This is the first production model; later candidates are compared against it.');

  const next = nextTrainingDate(decision, config, now);
  out.push(`Next suggested training: ${next.date} (${next.why}).`);
  return { recommendations: out, next_training_date: next.date };
}

/**
 * ΔF1 clears the threshold but its lower bound does not clear 0. The bootstrap standard error
 * shrinks as 1/√n, so the bound ΔF1 − z·se·√(n/n') clears 0 once
 * n' > n_needed = n·(z·se/ΔF1)², with se = (upper − lower)/(2·z₂) read off the two-sided interval
 * (z₂ = Φ⁻¹((1 + level)/2)) and z = Φ⁻¹(confidence_level), assuming the gain itself holds.
 */
function moreRowsAdvice(comparison: Comparison, delta: number): string {
  const boot = comparison.bootstrap;
  const z = normalQuantile(boot.confidence_level);
  const zInterval = normalQuantile((1 + boot.level) / 2);
  const se = zInterval > 0 ? (boot.upper - boot.lower) / (2 * zInterval) : Number.NaN;
  const needed = comparison.n * ((z * se) / delta) ** 2;
  const more = Math.ceil(needed - comparison.n);
  const prefix = `ΔF1 ${signed(delta)} clears the threshold but is not significant at ${percent(boot.confidence_level)}`;
  if (!Number.isFinite(more) || more <= 0) {
    return `${prefix}: the gain is borderline at ${count(comparison.n)} rows; collect more labelled rows and compare again.`;
  }
  return `${prefix}: collect about ${count(more)} more labelled rows (about ${count(Math.ceil(needed))} in total) for the lower bound to clear 0, if the gain holds.`;
}

/**
 * Next training date (UTC, YYYY-MM-DD): production turns stale max_days_since_update days
 * after its promotion (after a DEPLOY or DEPLOY_REFRESH, the new production is promoted now).
 * When that moment is still in the future, it is the date; when production is already stale,
 * or its promotion date is unknown, or there is none, retrain a week from now.
 */
function nextTrainingDate(decision: GateDecision, config: GateConfig, now: Date): { date: string; why: string } {
  const deployed = decision.decision !== 'SKIP';
  const staleness: GateRule | undefined = decision.rules.find((r) => r.name === 'staleness');
  const promotedAt = deployed ? now.getTime() : typeof staleness?.values.promoted_at === 'string' ? Date.parse(staleness.values.promoted_at) : Number.NaN;
  const staleAt = promotedAt + config.max_days_since_update * DAY_MS;
  if (Number.isFinite(staleAt) && staleAt > now.getTime()) {
    return { date: isoDate(staleAt), why: `when ${deployed ? 'the newly deployed' : 'the current'} production model turns ${config.max_days_since_update} days old` };
  }
  return { date: isoDate(now.getTime() + RETRY_AFTER_DAYS * DAY_MS), why: `in ${RETRY_AFTER_DAYS} days, with fresh labelled data` };
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
