/** The pipeline's three notifications, built from the tasks' typed outputs. */
import type { GateOutcome } from '../gates/outcome.ts';
import type { TaskFailure } from '../runtime/index.ts';
import type { Notification } from './index.ts';

const f = (value: number | null | undefined, digits = 4) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;

function comparisonFacts(outcome: GateOutcome): { label: string; value: string }[] {
  const facts = [
    { label: 'Decision', value: `${outcome.decision}${outcome.forced ? ' (forced)' : ''}${outcome.bootstrap_deploy ? ' (first production model)' : ''}` },
    { label: 'Candidate', value: `${outcome.candidate.model_type}, run ${outcome.candidate.run_id}, test F1 ${f(outcome.candidate.f1)}, ROC AUC ${f(outcome.candidate.roc_auc)}` },
    { label: 'Production', value: outcome.production ? `v${outcome.production.version}, test F1 ${f(outcome.production.f1)}, ROC AUC ${f(outcome.production.roc_auc)}` : 'none' },
  ];
  if (outcome.delta_f1) {
    facts.push({
      label: 'ΔF1',
      value: `${signed(outcome.delta_f1.estimate)} (one-sided ${Math.round(outcome.delta_f1.confidence_level * 100)} % lower bound ${signed(outcome.delta_f1.one_sided_lower)}, p = ${f(outcome.delta_f1.p_value)})`,
    });
  }
  facts.push({ label: 'Rows compared', value: String(outcome.rows) });
  facts.push({ label: 'Decision run', value: outcome.decision_run_id });
  return facts;
}

/** `leftOut`: deploy stages this run did not include (its deploy_target), named in the message. */
export function deploymentSucceeded(
  outcome: GateOutcome,
  promotion: { model_name: string; version: string; previous_version: string | null },
  ids: { dagId: string; runId: string },
  leftOut: readonly string[] = [],
): Notification {
  const delta = outcome.delta_f1 ? `, ΔF1 ${signed(outcome.delta_f1.estimate)}` : '';
  return {
    kind: 'deployment_success',
    severity: 'info',
    title: `${promotion.model_name} v${promotion.version} promoted to production (${outcome.decision}${delta})`,
    summary: `${outcome.summary} Version ${promotion.version} now holds the production alias${promotion.previous_version ? `; version ${promotion.previous_version} stays reachable as 'previous'` : ''}.`,
    facts: [
      ...comparisonFacts(outcome),
      { label: 'Model version', value: `${promotion.model_name} v${promotion.version}` },
      ...leftOut.map((stage) => ({ label: 'Not part of this run', value: stage })),
    ],
    ...ids,
  };
}

export function deploymentSkipped(outcome: GateOutcome, skip: { recommendations: readonly string[]; next_training_date: string }, ids: { dagId: string; runId: string }): Notification {
  return {
    kind: 'no_deployment',
    severity: 'warning',
    title: `No deployment: candidate ${outcome.candidate.model_type} did not pass the quality gates`,
    summary: outcome.summary,
    facts: [
      ...comparisonFacts(outcome),
      ...outcome.rules.filter((rule) => rule.passed === false).map((rule) => ({ label: `Failed: ${rule.name}`, value: rule.detail })),
      ...skip.recommendations.map((value, i) => ({ label: `Recommendation ${i + 1}`, value })),
      { label: 'Next training', value: skip.next_training_date },
    ],
    ...ids,
  };
}

export function pipelineFailed(failure: TaskFailure): Notification {
  const previous = failure.previous_runs;
  const failedBefore = previous.findIndex((run) => run.state !== 'failed');
  const repeated = failedBefore === -1 ? previous.length : failedBefore;
  const again = repeated ? ` — repeated: the previous ${repeated === 1 ? 'run' : `${repeated} runs`} failed too` : '';
  return {
    kind: 'pipeline_failure',
    severity: 'error',
    title: `Task ${failure.task_id} of ${failure.dag_id} failed${again}`,
    summary:
      `Task ${failure.task_id} failed on try ${failure.try_number} with no retries left; the DAG run ${failure.run_id} will not complete. Production is unchanged unless the failure came after promotion.` +
      (repeated ? ` This is a repeated failure: the ${repeated === 1 ? 'run' : `${repeated} runs`} before this one failed too (${previous.slice(0, repeated).map((run) => run.run_id).join(', ')}).` : ''),
    facts: [
      { label: 'Task', value: failure.task_id },
      { label: 'Try', value: String(failure.try_number) },
      { label: 'Error', value: failure.error },
      ...(previous.length ? [{ label: 'Previous runs', value: previous.map((run) => `${run.run_id}: ${run.state ?? 'unknown'}`).join('; ') }] : []),
    ],
    dagId: failure.dag_id,
    runId: failure.run_id,
  };
}
