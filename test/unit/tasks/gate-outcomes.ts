/**
 * Gate outcomes as compare_against_production hands them on, made by the real gate decision
 * (decide + recommend) from hand-made comparisons: a candidate that clearly beats production
 * (DEPLOY) and one that does not (SKIP). For tasks downstream of the gate whose glue is tested
 * without re-running the comparison.
 */
import { type Comparison, decide, recommend } from '../../../src/gates/index.ts';
import { decisionFields, deltaF1Of, type GateOutcome, gateOutcomeSchema, headlineMetrics } from '../../../src/gates/outcome.ts';
import { comparisonOf, DEFAULT_CONFIG } from '../gates/fixtures.ts';

export interface CandidateModel {
  run_id: string;
  onnx_path: string;
  metadata_path: string;
  threshold: number;
}

const NOW = new Date('2026-03-02T08:00:00Z');
const PRODUCTION = { version: '3', run_id: 'production0run0id', promoted_at: '2026-02-20T08:00:00.000Z' };
const DEFAULT_CANDIDATE: CandidateModel = { run_id: 'candidate0run0id', onnx_path: 'model/model.onnx', metadata_path: 'model/metadata.json', threshold: 0.5 };

function outcomeOf(comparison: Comparison, candidate: CandidateModel, decisionRunId: string): GateOutcome {
  const decision = decide({
    candidate: comparison.candidate,
    comparison,
    production: { version: PRODUCTION.version, promoted_at: PRODUCTION.promoted_at },
    n_rows: comparison.n,
    config: DEFAULT_CONFIG,
    force: false,
    now: NOW,
  });
  const advice = recommend(decision, comparison, DEFAULT_CONFIG, NOW);
  return gateOutcomeSchema.parse({
    ...decisionFields(decision, advice),
    rows: comparison.n,
    candidate: { ...candidate, model_type: 'lr', ...headlineMetrics(comparison.candidate) },
    production: { ...PRODUCTION, ...headlineMetrics(comparison.production) },
    delta_f1: deltaF1Of(comparison.bootstrap),
    mcnemar_p_value: comparison.mcnemar.p_value,
    decision_run_id: decisionRunId,
  });
}

/** ΔF1 +0.06, lower bound +0.03: every rule passes, DEPLOY. */
export function deployOutcome(candidate: CandidateModel = DEFAULT_CANDIDATE): GateOutcome {
  return outcomeOf(comparisonOf({ candidate: { f1: 0.66, precision: 0.64, recall: 0.68 }, lowerBound: 0.03, b: 30, c: 60 }), candidate, 'decision0deploy0run');
}

/** ΔF1 +0.005 with a negative lower bound: performance and significance fail, SKIP. */
export function skipOutcome(candidate: CandidateModel = DEFAULT_CANDIDATE): GateOutcome {
  return outcomeOf(comparisonOf({ candidate: { f1: 0.605 }, lowerBound: -0.01 }), candidate, 'decision0skip0run');
}
