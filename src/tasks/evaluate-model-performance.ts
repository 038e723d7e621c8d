import { z } from 'zod';
import { MANIFEST_FILE } from '../data/manifest.ts';
import { createObjectStore, joinUri } from '../data/object-store.ts';
import { readSplitRows } from '../data/read-split.ts';
import { pickChampion } from '../evaluation/champion.ts';
import { PLOT_ARTIFACTS, recordEvaluation } from '../evaluation/champion-report.ts';
import { evaluateModel, labelsFromRows } from '../evaluation/index.ts';
import { loadRunModel } from '../evaluation/run-model.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { championEvaluationSchema, manifestSchema, trainingResultSchema } from '../pipeline/contract/training.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { MANIFEST_URI_TAG } from '../registry/run-tags.ts';
import { defineTask } from '../runtime/index.ts';

const BOOTSTRAP_RESAMPLES = 1000;

/**
 * Picks this run's champion by validation F1, scores the held-out test split with the
 * champion's ONNX model (exactly what will be served), and records metrics with bootstrap
 * confidence intervals and plots in the champion's MLflow run, with the manifest of its data.
 */
export default defineTask({
  id: 'evaluate-model-performance',
  description: 'Champion by validation F1; test metrics with bootstrap CIs at CONFIDENCE_LEVEL (0.95) from the ONNX model.',
  input: z.object({ training: trainingResultSchema, manifest: manifestSchema }),
  output: championEvaluationSchema,
  run: async ({ training, manifest }, ctx) => {
    const config = loadPipelineEnv();
    const champion = pickChampion(training.models);
    ctx.log.info({ model_type: champion.model_type, run_id: champion.run_id, val_f1: champion.val_f1 }, 'champion chosen by validation F1');
    const client = mlflowClientFromEnv();
    const rows = await readSplitRows(createObjectStore({ log: ctx.log }), manifest.files.test);
    const scorer = await loadRunModel(client, { runId: champion.run_id, onnxPath: champion.onnx_path, metadataPath: champion.metadata_path });
    try {
      const result = await evaluateModel({
        scorer,
        rows,
        labels: labelsFromRows(rows, manifest.features.target),
        bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: config.TRAINING_SEED, level: config.CONFIDENCE_LEVEL },
      });
      ctx.log.info({ test_f1: result.metrics.f1, test_roc_auc: result.metrics.roc_auc, f1_ci: result.ci.f1, rows: result.metrics.n }, 'champion evaluated on the test split');
      // The manifest names the rows the model learnt from: drift monitoring's reference once it serves.
      await recordEvaluation(client, champion.run_id, result, {
        'health_predict.champion': 'true',
        'health_predict.dag_run_id': ctx.origin.runId,
        [MANIFEST_URI_TAG]: joinUri(manifest.output_uri, MANIFEST_FILE),
      });
      const { curves: _curves, ...test } = result;
      return {
        champion: {
          model_type: champion.model_type,
          run_id: champion.run_id,
          val_f1: champion.val_f1,
          threshold: result.threshold,
          onnx_path: champion.onnx_path,
          metadata_path: champion.metadata_path,
          onnx_uri: `${champion.artifact_uri}/${champion.onnx_path}`,
          metadata_uri: `${champion.artifact_uri}/${champion.metadata_path}`,
          plots: Object.values(PLOT_ARTIFACTS),
        },
        candidates: training.models.map(({ model_type, run_id, val_f1 }) => ({ model_type, run_id, val_f1 })),
        test,
      };
    } finally {
      scorer.dispose();
    }
  },
});
