/** Writes the champion's test evaluation into its MLflow run: metrics, tags and SVG plots. */
import type { MlflowClient } from '../registry/index.ts';
import type { EvaluationResult } from './evaluate.ts';
import { confusionMatrixSvg, precisionRecallSvg, rocCurveSvg } from './plots.ts';

export const PLOT_ARTIFACTS = {
  roc: 'evaluation/roc_curve.svg',
  pr: 'evaluation/precision_recall_curve.svg',
  confusion: 'evaluation/confusion_matrix.svg',
} as const;

export async function recordEvaluation(client: MlflowClient, runId: string, result: EvaluationResult, tags: Record<string, string>): Promise<void> {
  const { metrics, ci, confusion, curves } = result;
  await client.runs.logMetrics(runId, {
    test_f1: metrics.f1,
    test_precision: metrics.precision,
    test_recall: metrics.recall,
    test_roc_auc: metrics.roc_auc,
    test_average_precision: metrics.average_precision,
    test_accuracy: metrics.accuracy,
    test_f1_ci_lower: ci.f1[0],
    test_f1_ci_upper: ci.f1[1],
    test_roc_auc_ci_lower: ci.roc_auc[0],
    test_roc_auc_ci_upper: ci.roc_auc[1],
    test_rows: metrics.n,
  });
  for (const [key, value] of Object.entries(tags)) await client.runs.setTag(runId, key, value);
  const roc = { fpr: curves.roc.fpr, tpr: curves.roc.tpr };
  await client.artifacts.upload(runId, PLOT_ARTIFACTS.roc, rocCurveSvg(roc, { auc: metrics.roc_auc }));
  await client.artifacts.upload(
    runId,
    PLOT_ARTIFACTS.pr,
    precisionRecallSvg({ recall: curves.pr.recall, precision: curves.pr.precision }, { averagePrecision: metrics.average_precision, prevalence: metrics.prevalence }),
  );
  await client.artifacts.upload(runId, PLOT_ARTIFACTS.confusion, confusionMatrixSvg(confusion, { threshold: result.threshold }));
}
