/**
 * Records a drift check as its own MLflow run: the scores as metrics (one psi_<feature> per
 * feature), the decision and action as tags, the decision's reasons as the run's note, the report
 * JSON and its picture as artifacts. A task retry for the same DAG run reuses the run
 * (registry/record-run.ts) instead of adding another.
 */
import { createHash } from 'node:crypto';
import type { MlflowClient } from '../registry/client.ts';
import { findOrCreateRecordRun } from '../registry/record-run.ts';
import { BATCH_INDEX_TAG, DRIFT_ACTION_TAG, DRIFT_CHECK_KIND, DRIFT_LEVEL_TAG, PRODUCTION_VERSION_TAG } from '../registry/run-tags.ts';
import type { DriftReport } from './report.ts';

export const DRIFT_ARTIFACTS = { report: 'drift/report.json', picture: 'drift/report.svg' } as const;

export interface DriftCheckRecord {
  readonly experimentName: string;
  readonly dagId: string;
  readonly dagRunId: string;
  readonly report: DriftReport;
  /** driftReportSvg(report). */
  readonly svg: string;
}

/**
 * `psi_<feature>` as an MLflow metric key. MLflow allows letters, digits, `_ - . /` and spaces;
 * a feature name with anything else (or a `/`, which MLflow reads as a path) has those characters
 * replaced by `_` and a short hash of the name appended, so two such names never share a key.
 */
export function psiMetricKey(feature: string): string {
  const safe = feature.replace(/[^A-Za-z0-9_\-. ]/g, '_');
  if (safe === feature) return `psi_${feature}`;
  return `psi_${safe}_${createHash('sha256').update(feature).digest('hex').slice(0, 8)}`;
}

/** The metrics of a drift check run. */
export function driftCheckMetrics(report: DriftReport): Record<string, number> {
  const metrics: Record<string, number> = {
    drift_score: report.decision.score,
    prediction_psi: report.prediction.psi,
    batch_f1: report.performance.batch_f1,
    reference_f1: report.performance.reference_f1,
    f1_drop: report.decision.f1_drop,
    batch_rows: report.batch.rows,
  };
  for (const feature of report.features) metrics[psiMetricKey(feature.feature)] = feature.psi;
  return metrics;
}

/** Writes the drift check to its MLflow run (created on the first try, reused on a retry) and returns the run id. */
export async function recordDriftCheck(client: MlflowClient, record: DriftCheckRecord): Promise<string> {
  const { report } = record;
  const runId = await findOrCreateRecordRun(client, {
    experimentName: record.experimentName,
    kind: DRIFT_CHECK_KIND,
    dagId: record.dagId,
    dagRunId: record.dagRunId,
    runName: `drift-check-batch-${report.batch.index}-${record.dagRunId}`,
  });
  const tags: Record<string, string> = {
    [DRIFT_LEVEL_TAG]: report.decision.level,
    [DRIFT_ACTION_TAG]: report.action.action,
    [BATCH_INDEX_TAG]: String(report.batch.index),
    [PRODUCTION_VERSION_TAG]: report.production.version,
    'mlflow.note.content': [...report.decision.reasons, `action: ${report.action.reason}`].join('\n'),
  };
  const metrics = Object.entries(driftCheckMetrics(report)).map(([key, value]) => ({ key, value }));
  await client.runs.logBatch(runId, { metrics, tags });
  await client.artifacts.upload(runId, DRIFT_ARTIFACTS.report, `${JSON.stringify(report, null, 2)}\n`);
  await client.artifacts.upload(runId, DRIFT_ARTIFACTS.picture, record.svg);
  await client.runs.end(runId);
  return runId;
}
