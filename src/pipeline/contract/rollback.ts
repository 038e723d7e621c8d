/**
 * Contract of the manual rollback DAG (health_predict_rollback): its trigger-form inputs, the
 * plan its first task settles (which version, from which, which image, what the cluster runs),
 * and what the cluster and registry steps report. The k8s and registry modules own the result
 * shapes they produce; these build on them.
 */
import { z } from 'zod';
import { rollToVersionResultSchema } from '../../k8s/roll-to-version.ts';

export { rollToVersionResultSchema };

/** A model version named in the trigger form: digits, as MLflow numbers them; null means the `previous` alias. */
export const rollbackTargetSchema = z.string().regex(/^\d+$/, 'a model version is a number, e.g. "3"').nullable();

/**
 * Why the rollback is done, recorded on the replaced version. The DAG param must have a default
 * its own schema accepts (an empty text), so the plan task is where an empty reason is refused.
 */
export const rollbackReasonSchema = z.string().trim().min(1, 'a manual rollback needs a reason (it is recorded on the replaced version); fill in "reason" in the trigger form');

/** What the Deployment ran when the plan was made. */
export const runningReleaseSchema = z.object({
  namespace: z.string(),
  deployment: z.string(),
  image: z.string().nullable(),
  model_version: z.string().nullable(),
});

/** `plan_rollback`: every check done, nothing changed yet. */
export const rollbackPlanSchema = z.object({
  model_name: z.string(),
  /** The version production goes back to. */
  to_version: z.string(),
  /** True when the trigger named no version and `previous` was used. */
  to_previous_alias: z.boolean(),
  /** The version production points at now (it becomes `previous`). */
  from_version: z.string(),
  /** to_version's recorded image (pinned by digest) and where it ran. */
  image: z.string(),
  deployed_to: z.string(),
  running: runningReleaseSchema,
  reason: z.string(),
  dry_run: z.boolean(),
  /** True when this dag run already began the registry step (an Airflow retry finishes it). */
  resumed: z.boolean(),
});
export type RollbackPlan = z.infer<typeof rollbackPlanSchema>;

/** `restore_production_version`: the registry after the rollback. */
export const restoredProductionSchema = z.object({
  restored: z.string(),
  replaced: z.string(),
  image: z.string(),
  /** When the restored version's stint began (ISO). */
  at: z.string(),
});
export type RestoredProduction = z.infer<typeof restoredProductionSchema>;
