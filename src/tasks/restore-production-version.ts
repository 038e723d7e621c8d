import { z } from 'zod';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { restoredProductionSchema, rollbackPlanSchema, rollToVersionResultSchema } from '../pipeline/contract/rollback.ts';
import { mlflowClientFromEnv, restoreVersion } from '../registry/index.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * After the cluster serves the planned version: the registry's `production` alias moves to it
 * and `previous` to the version it replaced, which is tagged with the rollback record (reason,
 * time, restored version, trigger 'manual', this dag id and run id) for the audit trail; the
 * production periods of both versions are closed and opened. The record carries the run id, so
 * an Airflow retry finishes its own rollback instead of starting another. Skipped on a dry run.
 */
export default defineTask({
  id: 'restore-production-version',
  description: "Manual rollback: registry 'production' → the restored version, 'previous' → the replaced one, audit tags written.",
  input: z.object({ plan: rollbackPlanSchema, rolled: rollToVersionResultSchema }),
  output: restoredProductionSchema,
  run: async ({ plan, rolled }, ctx) => {
    if (plan.dry_run) ctx.skip(`dry run: 'production' would move from version ${plan.from_version} to ${plan.to_version}`);
    const restored = await restoreVersion(mlflowClientFromEnv(), plan.model_name, plan.to_version, {
      reason: plan.reason,
      trigger: 'manual',
      dagId: ctx.origin.dagId,
      dagRunId: ctx.origin.runId,
      syncStages: loadPipelineEnv().MLFLOW_SYNC_STAGES,
    });
    ctx.log.info({ ...restored, cluster_revision: rolled.revision }, `registry: 'production' is version ${restored.restored}, 'previous' version ${restored.replaced} (tagged with the rollback record)`);
    return restored;
  },
});
