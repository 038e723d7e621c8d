/**
 * What `compare_against_production` reports (its XCom) and what the branch, the promotion,
 * the skip log and the notifications read.
 */
import { z } from 'zod';
import { modelTypeSchema } from '../training/trainer-protocol.ts';
import type { Comparison } from './compare.ts';
import { type GateDecision, gateDecisionSchema } from './decide.ts';
import type { Recommendations } from './recommendations.ts';

/** roc_auc is null when the held-out rows hold one class only. */
const modelMetrics = z.object({ f1: z.number(), precision: z.number(), recall: z.number(), roc_auc: z.number().nullable() });

export const gateOutcomeSchema = z.object({
  decision: z.enum(['DEPLOY', 'DEPLOY_REFRESH', 'SKIP']),
  forced: z.boolean(),
  bootstrap_deploy: z.boolean(),
  summary: z.string(),
  reasons: z.array(z.string()),
  rules: gateDecisionSchema.shape.rules,
  recommendations: z.array(z.string()),
  next_training_date: z.string(),
  rows: z.number().int().nonnegative(),
  candidate: modelMetrics.extend({
    run_id: z.string(),
    model_type: modelTypeSchema,
    threshold: z.number(),
    onnx_path: z.string(),
    metadata_path: z.string(),
  }),
  production: modelMetrics
    .extend({ version: z.string(), run_id: z.string(), promoted_at: z.string().nullable() })
    .nullable(),
  /** Paired bootstrap of candidate − production F1 (null without a production model). */
  delta_f1: z
    .object({ estimate: z.number(), one_sided_lower: z.number(), p_value: z.number(), confidence_level: z.number(), resamples: z.number().int() })
    .nullable(),
  mcnemar_p_value: z.number().nullable(),
  decision_run_id: z.string(),
});
export type GateOutcome = z.infer<typeof gateOutcomeSchema>;

/** The outcome's decision fields: the gate decision and the advice that follows from it. */
export function decisionFields(decision: GateDecision, advice: Recommendations) {
  return {
    decision: decision.decision,
    forced: decision.forced,
    bootstrap_deploy: decision.bootstrap_deploy,
    summary: decision.summary,
    reasons: decision.reasons,
    rules: decision.rules,
    recommendations: advice.recommendations,
    next_training_date: advice.next_training_date,
  };
}

/** The metrics the gates weigh and the outcome reports of a model: F1, precision, recall, ROC AUC. */
export function headlineMetrics(m: { f1: number; precision: number; recall: number; roc_auc: number | null }) {
  return { f1: m.f1, precision: m.precision, recall: m.recall, roc_auc: m.roc_auc };
}

/** The outcome's `delta_f1`: the paired bootstrap of candidate − production F1. */
export function deltaF1Of(bootstrap: Comparison['bootstrap']) {
  return { estimate: bootstrap.delta, one_sided_lower: bootstrap.one_sided_lower, p_value: bootstrap.p_value, confidence_level: bootstrap.confidence_level, resamples: bootstrap.resamples };
}

/** Artifact paths of a registered version, kept as version tags by the promotion. */
export const MODEL_FILE_TAGS = { onnx: 'health_predict.onnx_path', metadata: 'health_predict.metadata_path' } as const;
