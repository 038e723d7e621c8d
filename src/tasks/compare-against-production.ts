import { z } from 'zod';
import { createObjectStore } from '../data/object-store.ts';
import { driftDecisionLevelSchema } from '../pipeline/contract/drift.ts';
import { readSplitRows } from '../data/read-split.ts';
import { labelsFromRows, rocAuc, rocCurve } from '../evaluation/index.ts';
import { loadRunModel } from '../evaluation/run-model.ts';
import { compareModels, decide, recommend, resolveGateConfig } from '../gates/index.ts';
import { recordDecision } from '../gates/decision-run.ts';
import { productionModel } from '../gates/production-model.ts';
import { decisionFields, deltaF1Of, headlineMetrics } from '../gates/outcome.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { GATE_SETTINGS, gateOutcomeSchema } from '../pipeline/contract/gates.ts';
import { championEvaluationSchema, manifestSchema } from '../pipeline/contract/training.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Scores this run's champion and the production model (MLflow alias `production`) with
 * onnxruntime on the same held-out rows, applies the quality gates and records the decision
 * as its own MLflow run.
 */
export default defineTask({
  id: 'compare-against-production',
  description: 'Quality gates: candidate vs production on the same rows (paired bootstrap, McNemar, business rules).',
  input: z.object({
    evaluation: championEvaluationSchema,
    manifest: manifestSchema,
    /** Null or absent: MODEL_IMPROVEMENT_THRESHOLD from the environment, else the default. */
    improvement_threshold: GATE_SETTINGS.improvement_threshold.range.nullable().optional(),
    force_deployment: z.boolean().default(false),
    /** Set when health_predict_drift_monitoring started this run: recorded on the decision run for the audit trail. */
    drift_level: driftDecisionLevelSchema.nullable().default(null),
    drift_report_uri: z.string().nullable().default(null),
  }),
  output: gateOutcomeSchema,
  run: async ({ evaluation, manifest, improvement_threshold, force_deployment, drift_level, drift_report_uri }, ctx) => {
    const env = loadPipelineEnv();
    const config = resolveGateConfig(process.env, { improvement_threshold });
    const client = mlflowClientFromEnv();
    const { champion } = evaluation;
    const rows = await readSplitRows(createObjectStore({ log: ctx.log }), manifest.files.test);
    const labels = labelsFromRows(rows, manifest.features.target);
    const production = await productionModel(client, env.MODEL_NAME);
    ctx.log.info({ model: env.MODEL_NAME, production_version: production?.version.version ?? null, rows: rows.length, config }, 'comparing candidate with production');

    const candidateScorer = await loadRunModel(client, { runId: champion.run_id, onnxPath: champion.onnx_path, metadataPath: champion.metadata_path });
    const candidate = await candidateScorer.predict(rows).finally(() => candidateScorer.dispose());
    let productionScores: { probabilities: Float64Array; threshold: number } | undefined;
    if (production) {
      const scorer = await production.load();
      productionScores = { probabilities: await scorer.score(rows).finally(() => scorer.dispose()), threshold: scorer.threshold };
    }

    const comparison = productionScores
      ? compareModels({ labels, candidate: { probabilities: candidate.probabilities, threshold: champion.threshold }, production: productionScores, config })
      : null;
    const candidateMetrics = comparison?.candidate ?? evaluation.test.metrics;
    const now = new Date();
    const decision = decide({
      candidate: headlineMetrics(candidateMetrics),
      comparison,
      production: production ? { version: production.version.version, promoted_at: production.promotedAt?.toISOString() ?? null } : null,
      n_rows: rows.length,
      config,
      force: force_deployment,
      now,
    });
    const advice = recommend(decision, comparison, config, now);
    for (const rule of decision.rules) ctx.log.info({ rule: rule.name, passed: rule.passed, values: rule.values }, rule.detail);

    const roc = [{ label: `candidate (${champion.model_type})`, ...rocCurve(labels, candidate.probabilities), auc: rocAuc(labels, candidate.probabilities) }];
    if (productionScores && production) {
      roc.push({ label: `production v${production.version.version}`, ...rocCurve(labels, productionScores.probabilities), auc: rocAuc(labels, productionScores.probabilities) });
    }
    const decisionRunId = await recordDecision(client, {
      experimentName: env.MLFLOW_EXPERIMENT_NAME,
      dagId: ctx.origin.dagId,
      dagRunId: ctx.origin.runId,
      decision,
      comparison,
      candidate: { runId: champion.run_id, modelType: champion.model_type, f1: candidateMetrics.f1 },
      production: production ? { version: production.version.version, runId: production.runId } : null,
      roc,
      details: { config, recommendations: advice.recommendations, next_training_date: advice.next_training_date },
      drift: drift_level ? { level: drift_level, reportUri: drift_report_uri } : null,
    });
    ctx.log.info({ decision: decision.decision, forced: decision.forced, decision_run_id: decisionRunId }, decision.summary);

    return {
      ...decisionFields(decision, advice),
      rows: rows.length,
      candidate: {
        run_id: champion.run_id,
        model_type: champion.model_type,
        threshold: champion.threshold,
        onnx_path: champion.onnx_path,
        metadata_path: champion.metadata_path,
        ...headlineMetrics(candidateMetrics),
      },
      production:
        production && comparison
          ? { version: production.version.version, run_id: production.runId, promoted_at: production.promotedAt?.toISOString() ?? null, ...headlineMetrics(comparison.production) }
          : null,
      delta_f1: comparison ? deltaF1Of(comparison.bootstrap) : null,
      mcnemar_p_value: comparison?.mcnemar.p_value ?? null,
      decision_run_id: decisionRunId,
    };
  },
});
