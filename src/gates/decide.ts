/**
 * The deployment decision: every rule is evaluated and reported, then combined in this order
 * of precedence —
 *   1. force_deployment → DEPLOY (forced);
 *   2. fewer rows than min_sample_size → SKIP;
 *   3. no production model → DEPLOY (bootstrap: the first model ever);
 *   4. performance AND significance AND degradation → DEPLOY;
 *   5. staleness (production older than the limit, candidate F1 ≥ production F1) AND
 *      degradation → DEPLOY_REFRESH;
 *   6. otherwise SKIP, every failing rule a reason.
 * With a production model, the rules read the comparison's paired numbers (both models on the
 * same rows); `candidate` is reported and stands alone only when there is no production model.
 */
import { z } from 'zod';
import { BadDataError } from '../runtime/errors.ts';
import { type Comparison, comparisonSchema } from './compare.ts';
import { type GateConfig, gateConfigSchema } from './config.ts';
import { count, fixed, percent, signed } from './format.ts';
import {
  degradationRule,
  forcedRule,
  GATE_RULE_NAMES,
  type GateRule,
  type GateRuleName,
  gateRuleSchema,
  performanceRule,
  type ProductionInfo,
  productionExistsRule,
  sampleSizeRule,
  significanceRule,
  stalenessRule,
} from './rules.ts';

export const DECISIONS = ['DEPLOY', 'DEPLOY_REFRESH', 'SKIP'] as const;
export type Decision = (typeof DECISIONS)[number];

export const gateDecisionSchema = z.object({
  decision: z.enum(DECISIONS),
  forced: z.boolean(),
  /** The first model ever: deployed because no production model exists. */
  bootstrap_deploy: z.boolean(),
  rules: z.array(gateRuleSchema),
  reasons: z.array(z.string()).min(1),
  summary: z.string().min(1),
});
export type GateDecision = z.infer<typeof gateDecisionSchema>;

const unit = z.number().min(0).max(1);

export const decideInputSchema = z.object({
  candidate: z.object({ f1: unit, precision: unit, recall: unit, roc_auc: unit.nullable() }),
  /** null: there is no production model. */
  comparison: comparisonSchema.nullable(),
  production: z
    .object({
      version: z.string().min(1),
      promoted_at: z
        .string()
        .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date-time')
        .nullable(),
    })
    .nullable(),
  n_rows: z.number().int().nonnegative(),
  config: gateConfigSchema,
  force: z.boolean(),
  now: z.date().refine((date) => !Number.isNaN(date.getTime()), 'must be a valid date'),
});
export interface DecideInput {
  readonly candidate: { readonly f1: number; readonly precision: number; readonly recall: number; readonly roc_auc: number | null };
  readonly comparison: Comparison | null;
  readonly production: ProductionInfo | null;
  readonly n_rows: number;
  readonly config: GateConfig;
  readonly force: boolean;
  readonly now: Date;
}

/** Decides DEPLOY, DEPLOY_REFRESH or SKIP; BadDataError when the input is malformed or inconsistent. */
export function decide(input: DecideInput): GateDecision {
  const parsed = decideInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
    throw new BadDataError(`The gate decision got invalid input: ${problems.join('; ')}.`);
  }
  const { candidate, comparison, production, n_rows: nRows, config, force, now } = parsed.data;
  if ((comparison === null) !== (production === null)) {
    throw new BadDataError(
      `The gate decision got ${comparison ? 'a comparison but no production model' : 'a production model but no comparison'}; ` +
        'pass both (production exists and was scored) or neither (no production model yet).',
    );
  }

  if (comparison && Math.abs(comparison.bootstrap.confidence_level - config.confidence_level) > 1e-12) {
    throw new BadDataError(
      `The comparison's bootstrap bound is at confidence ${comparison.bootstrap.confidence_level} but the gates are configured ` +
        `at ${config.confidence_level}; compare and decide with the same gate configuration.`,
    );
  }

  const rules: Record<GateRuleName, GateRule> = {
    forced: forcedRule(force),
    sample_size: sampleSizeRule(nRows, config),
    production_exists: productionExistsRule(production),
    performance: performanceRule(comparison, config),
    significance: significanceRule(comparison, config),
    degradation: degradationRule(comparison, config),
    staleness: stalenessRule(comparison, production, config, now),
  };
  const gates = verdict(rules);
  const ruleList = GATE_RULE_NAMES.map((name) => rules[name]);
  const context = describeModels(candidate, comparison, production, nRows);

  if (force) {
    return {
      decision: 'DEPLOY',
      forced: true,
      bootstrap_deploy: production === null,
      rules: ruleList,
      reasons: [rules.forced.detail, `Without force_deployment the gates would have decided ${gates.decision}:`, ...gates.reasons],
      summary: [
        'Decision: DEPLOY, forced by force_deployment.',
        context,
        `Without force the gates would have decided ${gates.decision}: ${gates.headline}`,
      ].join(' '),
    };
  }
  return {
    decision: gates.decision,
    forced: false,
    bootstrap_deploy: gates.bootstrap,
    rules: ruleList,
    reasons: gates.reasons,
    summary: [`Decision: ${gates.decision}.`, context, gates.headline].join(' '),
  };
}

interface Verdict {
  decision: Decision;
  bootstrap: boolean;
  reasons: string[];
  /** One sentence for the summary. */
  headline: string;
}

/** Rules 2–6: the decision the gates reach without force. */
function verdict(rules: Record<GateRuleName, GateRule>): Verdict {
  const { sample_size, production_exists, performance, significance, degradation, staleness } = rules;
  const failing = [sample_size, performance, significance, degradation, staleness].filter((rule) => rule.passed === false);
  // With a production model, an inapplicable staleness rule (unknown promotion date) is worth saying in a SKIP.
  const skipReasons = [...failing, ...(production_exists.passed && staleness.passed === null ? [staleness] : [])].map((rule) => rule.detail);
  const names = (list: GateRule[]) => list.map((rule) => rule.name.replace('_', ' ')).join(', ');

  if (sample_size.passed === false) {
    return { decision: 'SKIP', bootstrap: false, reasons: skipReasons, headline: sample_size.detail };
  }
  if (!production_exists.passed) {
    return {
      decision: 'DEPLOY',
      bootstrap: true,
      reasons: ['No production model exists yet, so the candidate is deployed as the first production model (bootstrap deployment).'],
      headline: 'There is no production model yet, so this candidate becomes the first one.',
    };
  }
  if (performance.passed && significance.passed && degradation.passed) {
    return {
      decision: 'DEPLOY',
      bootstrap: false,
      reasons: [performance.detail, significance.detail, degradation.detail],
      headline: 'It clears the improvement threshold, the gain is statistically significant, and no metric degrades beyond the tolerance.',
    };
  }
  if (staleness.passed && degradation.passed) {
    const unmet = [performance, significance].filter((rule) => !rule.passed);
    return {
      decision: 'DEPLOY_REFRESH',
      bootstrap: false,
      reasons: [staleness.detail, degradation.detail, ...unmet.map((rule) => `Not a plain DEPLOY: ${rule.detail}`)],
      headline: `Production is past its ${staleness.values.max_days_since_update}-day limit and the candidate is at least as good without degrading, so it refreshes production.`,
    };
  }
  return { decision: 'SKIP', bootstrap: false, reasons: skipReasons, headline: `Failing: ${names(failing)}.` };
}

function describeModels(
  candidate: DecideInput['candidate'],
  comparison: Comparison | null,
  production: ProductionInfo | null,
  nRows: number,
): string {
  if (!comparison || !production) return `The candidate has F1 ${fixed(candidate.f1)} on ${count(nRows)} held-out rows.`;
  const boot = comparison.bootstrap;
  return (
    `The candidate's F1 is ${fixed(comparison.candidate.f1)} against ${fixed(comparison.production.f1)} for production version ${production.version} ` +
    `(ΔF1 ${signed(comparison.candidate.f1 - comparison.production.f1)}, one-sided ${percent(boot.confidence_level)} lower bound ${signed(boot.one_sided_lower)}) ` +
    `on ${count(comparison.n)} held-out rows.`
  );
}
