/**
 * Records a deployment decision as its own MLflow run: the numbers as metrics, the verdicts
 * as tags, the whole decision as JSON and a ROC plot of candidate vs production. A task retry
 * for the same DAG run reuses the run instead of adding another.
 */
import type { RocSeries } from '../evaluation/plots.ts';
import { rocComparisonSvg } from '../evaluation/plots.ts';
import type { MlflowClient } from '../registry/index.ts';
import { findOrCreateRecordRun, recordRunTags } from '../registry/record-run.ts';
import { DECISION_RUN_KIND as KIND, DRIFT_LEVEL_TAG, DRIFT_REPORT_TAG, TRIGGER_TAG } from '../registry/run-tags.ts';
import type { Comparison } from './compare.ts';
import type { GateDecision } from './decide.ts';

export const DECISION_ARTIFACTS = { decision: 'decision/decision.json', roc: 'decision/roc_comparison.svg' } as const;

export interface DecisionRecord {
  readonly experimentName: string;
  readonly dagId: string;
  readonly dagRunId: string;
  readonly decision: GateDecision;
  readonly comparison: Comparison | null;
  readonly candidate: { readonly runId: string; readonly modelType: string; readonly f1: number };
  readonly production: { readonly version: string; readonly runId: string } | null;
  readonly roc: readonly RocSeries[];
  /** Everything else worth keeping with the decision (config, recommendations…). */
  readonly details: Record<string, unknown>;
  /** Set when drift monitoring started this DAG run: the level that fired it and its report. */
  readonly drift?: { readonly level: string; readonly reportUri: string | null } | null;
}

export async function recordDecision(client: MlflowClient, record: DecisionRecord): Promise<string> {
  const runId = await findOrCreateRecordRun(client, {
    experimentName: record.experimentName,
    kind: KIND,
    dagId: record.dagId,
    dagRunId: record.dagRunId,
    runName: `deployment-decision-${record.dagRunId}`,
  });
  const { decision, comparison } = record;
  const tags: Record<string, string> = {
    'health_predict.decision': decision.decision,
    'health_predict.forced': String(decision.forced),
    'health_predict.bootstrap_deploy': String(decision.bootstrap_deploy),
    'health_predict.candidate_run_id': record.candidate.runId,
    'health_predict.candidate_model_type': record.candidate.modelType,
    'health_predict.production_version': record.production?.version ?? 'none',
    ...recordRunTags({ kind: KIND, dagId: record.dagId, dagRunId: record.dagRunId }),
    'mlflow.note.content': decision.summary,
  };
  if (record.drift) {
    tags[TRIGGER_TAG] = 'drift';
    tags[DRIFT_LEVEL_TAG] = record.drift.level;
    if (record.drift.reportUri) tags[DRIFT_REPORT_TAG] = record.drift.reportUri;
  }
  for (const rule of decision.rules) tags[`health_predict.rule.${rule.name}`] = rule.passed === null ? 'n/a' : rule.passed ? 'pass' : 'fail';
  const metrics: Record<string, number> = { candidate_f1: record.candidate.f1 };
  if (comparison) {
    Object.assign(metrics, {
      production_f1: comparison.production.f1,
      delta_f1: comparison.bootstrap.delta,
      delta_f1_lower_bound: comparison.bootstrap.one_sided_lower,
      delta_f1_p_value: comparison.bootstrap.p_value,
      mcnemar_p_value: comparison.mcnemar.p_value,
      rows: comparison.n,
    });
  }
  await client.runs.logBatch(runId, { metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })), tags });
  await client.artifacts.upload(runId, DECISION_ARTIFACTS.decision, `${JSON.stringify({ decision, comparison, ...record.details }, null, 2)}\n`);
  if (record.roc.length) {
    await client.artifacts.upload(runId, DECISION_ARTIFACTS.roc, rocComparisonSvg(record.roc, { title: 'Candidate vs production (test split)' }));
  }
  await client.runs.update(runId, { status: 'FINISHED', endTime: Date.now() });
  return runId;
}
