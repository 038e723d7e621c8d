/** Drift monitoring's notifications: a MINOR drift warning, and a retraining drift started. */
import type { Notification } from './notification.ts';

/** What a drift check says, as the measure-drift task returns it. */
export interface DriftAlert {
  readonly level: string;
  readonly score: number;
  readonly score_source: string;
  readonly action: 'retrain' | 'warn' | 'none';
  readonly action_reason: string;
  readonly reasons: readonly string[];
  readonly batch_index: number;
  readonly batch_rows: number;
  readonly batch_f1: number;
  readonly reference_f1: number;
  readonly model_name: string;
  readonly production_version: string;
  readonly report_uri: string;
  readonly picture_uri: string;
  readonly mlflow_run_id: string;
}

const f = (value: number) => value.toFixed(4);

export function driftAlert(check: DriftAlert, ids: { dagId: string; runId: string }, triggered?: { dagId: string }): Notification {
  const retraining = check.action === 'retrain';
  const where = check.score_source === 'prediction' ? "the production model's predicted probabilities" : `feature '${check.score_source}'`;
  return {
    kind: retraining ? 'drift_retraining' : 'drift_warning',
    severity: 'warning',
    title: retraining
      ? `${check.level} drift in batch ${check.batch_index}: retraining ${check.model_name} started`
      : `${check.level} drift in batch ${check.batch_index} (${check.model_name} v${check.production_version}): watching, no retraining yet`,
    summary: retraining
      ? `Batch ${check.batch_index} (${check.batch_rows} rows) drifted from the rows production v${check.production_version} learnt from (largest PSI ${f(check.score)}, ${where}). ${triggered ? `A run of ${triggered.dagId} was started` : 'A retraining was started'} on the reference data plus the batches that arrived; its quality gates decide whether a new model replaces production.`
      : `Batch ${check.batch_index} (${check.batch_rows} rows) shows minor drift (largest PSI ${f(check.score)}, ${where}): below the level that retrains. Production v${check.production_version} stays; the next batches will tell whether it grows.`,
    facts: [
      { label: 'Level', value: check.level },
      { label: 'Action', value: check.action_reason },
      { label: 'F1 on the batch', value: `${f(check.batch_f1)} (test F1 ${f(check.reference_f1)})` },
      ...check.reasons.map((value, i) => ({ label: `Reason ${i + 1}`, value })),
      { label: 'Report', value: check.report_uri },
      { label: 'Picture', value: check.picture_uri },
      { label: 'MLflow run', value: check.mlflow_run_id },
    ],
    ...ids,
  };
}
