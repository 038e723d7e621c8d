import { z } from 'zod';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { gateOutcomeSchema } from '../pipeline/contract/gates.ts';
import { promotionSchema } from '../pipeline/contract/release.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { promoteRunModel } from '../registry/promotion.ts';
import { defineTask } from '../runtime/index.ts';

const fixed = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : value.toFixed(4));

/**
 * Registers the champion's ONNX model as a new version of the registered model, moves the
 * `production` alias to it (the old one stays reachable as `previous`) and tags the version
 * with the decision that promoted it. Idempotent on retry. The output carries the gate outcome
 * on, so the tasks after the deploy stages depend on this task alone (not on the comparison,
 * which also succeeds on the skip path).
 */
export default defineTask({
  id: 'register-and-promote-model',
  description: "Registry: new version from the champion run, alias production → it, previous kept, audit tags.",
  input: z.object({ outcome: gateOutcomeSchema }),
  output: promotionSchema,
  run: async ({ outcome }, ctx) => {
    const env = loadPipelineEnv();
    const { candidate } = outcome;
    const result = await promoteRunModel(mlflowClientFromEnv(), {
      modelName: env.MODEL_NAME,
      runId: candidate.run_id,
      artifactPath: candidate.onnx_path.split('/').slice(0, -1).join('/') || '.',
      audit: {
        decision: outcome.decision,
        forced: String(outcome.forced),
        bootstrap_deploy: String(outcome.bootstrap_deploy),
        model_type: candidate.model_type,
        candidate_f1: fixed(candidate.f1),
        production_f1: fixed(outcome.production?.f1),
        delta_f1: fixed(outcome.delta_f1?.estimate),
        delta_f1_lower_bound: fixed(outcome.delta_f1?.one_sided_lower),
        delta_f1_p_value: fixed(outcome.delta_f1?.p_value),
        confidence_level: String(outcome.delta_f1?.confidence_level ?? 'n/a'),
        decision_run_id: outcome.decision_run_id,
        onnx_path: candidate.onnx_path,
        metadata_path: candidate.metadata_path,
        dag_id: ctx.origin.dagId,
        dag_run_id: ctx.origin.runId,
      },
      syncStages: env.MLFLOW_SYNC_STAGES,
    });
    ctx.log.info(result, result.reused ? 'model version already registered by this DAG run; promotion completed' : 'model version registered and promoted');
    return {
      model_name: result.modelName,
      version: result.version,
      previous_version: result.previousVersion,
      promoted_at: result.promotedAt,
      reused: result.reused,
      source: result.source,
      outcome,
    };
  },
});
