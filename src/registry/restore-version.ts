/**
 * A manual rollback in the registry: `production` moves to any version that was deployed
 * before (its image is known), `previous` to the version it replaced. The replaced version is
 * tagged with the rollback record ({reason, at, restored, trigger: 'manual', dag_id,
 * dag_run_id}, the shape `health-predict history` reads) and the production periods are closed
 * and opened as for any change of production, the restored stint starting at the record's time.
 *
 * Writes run in the order rollback record → previous → production → stage → periods. The
 * record carries the dag run id, so a retry after a crash anywhere finds its own rollback and
 * finishes it; repeating a completed one answers the same. Every refusal happens before the
 * first write.
 */
import { z } from 'zod';
import { BadDataError } from '../runtime/errors.ts';
import type { MlflowClient } from './client.ts';
import { deployedImageOf } from './deployed-image.ts';
import { ROLLBACK_TAG, allVersions, applyPlan, checkedTagValue, historyPlan, readRollback } from './production-history.ts';
import { PREVIOUS_ALIAS, PRODUCTION_ALIAS, PromotionError, rollbackReason } from './promotion.ts';
import type { ModelVersion } from './schemas.ts';

export interface RestoreVersionOptions {
  reason: string;
  trigger: 'manual';
  dagId: string;
  dagRunId: string;
  now?: () => Date;
  /** Also move the restored version to the deprecated stage Production (archiving the replaced one). */
  syncStages?: boolean;
}

export interface RestoreVersionResult {
  /** The version `production` points at afterwards. */
  restored: string;
  /** The version it replaced, now `previous`. */
  replaced: string;
  /** The restored version's image (from its deploy record). */
  image: string;
  /** When the restored version's stint began (ISO), the time of the rollback record. */
  at: string;
}

const optionsSchema = z.object({
  reason: z.string().trim().min(1, 'a rollback needs a reason; it is recorded on the replaced version'),
  trigger: z.literal('manual'),
  dagId: z.string().min(1),
  dagRunId: z.string().min(1, 'the dag run id is what lets a retried rollback find its own record'),
});

/** The version whose rollback record says this dag run restored `toVersion` (a retry's own earlier attempt). */
function recordedByThisDagRun(versions: ModelVersion[], toVersion: string, dagRunId: string) {
  return versions
    .map((version) => ({ version: version.version, record: readRollback(version) }))
    .find(({ version, record }) => version !== toVersion && record?.trigger === 'manual' && record.dag_run_id === dagRunId && record.restored === toVersion);
}

/**
 * The version a rollback without an explicit target goes back to: the one `previous` points at.
 * Resolve it once, before the first write (a rollback moves `previous`, so a retry resolving it
 * again would pick the version just replaced).
 */
export async function defaultRestoreTarget(client: MlflowClient, modelName: string): Promise<string> {
  const model = await client.models.get(modelName);
  if (!model) throw new PromotionError(`Cannot roll model '${modelName}' back: no such registered model; check the model name. Nothing was changed.`);
  const previous = model.aliases[PREVIOUS_ALIAS];
  if (!previous) {
    throw new PromotionError(`Cannot roll model '${modelName}' back: it has no '${PREVIOUS_ALIAS}' alias (production is ${model.aliases[PRODUCTION_ALIAS] ? `version ${model.aliases[PRODUCTION_ALIAS]}` : 'not set'}); name the version to roll back to. Nothing was changed.`);
  }
  return previous;
}

export interface RestorePlan {
  modelName: string;
  restored: string;
  replaced: string;
  /** The restored version's image (from its deploy record) and where it ran. */
  image: string;
  deployedTo: string;
  /** True when this dag run already began the rollback (a retry finishes it). */
  resumed: boolean;
}

interface PlanState {
  plan: RestorePlan;
  aliases: Record<string, string>;
  record: string;
  writes: ReturnType<typeof historyPlan>['writes'];
  from: string;
}

/**
 * Every check of a rollback, and what it would write, without writing: unknown model or version,
 * a version never deployed, the version already in production and an oversized audit trail are
 * refused here. A dry run stops after it; the cluster step uses its image.
 */
export async function planRestoreVersion(client: MlflowClient, modelName: string, toVersion: string, options: RestoreVersionOptions): Promise<RestorePlan> {
  return (await prepare(client, modelName, toVersion, options)).plan;
}

async function prepare(client: MlflowClient, modelName: string, toVersion: string, options: RestoreVersionOptions): Promise<PlanState> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new BadDataError(`The rollback of model '${modelName}' to version ${toVersion} is invalid:\n${z.prettifyError(parsed.error)}`);
  const { reason, dagId, dagRunId } = parsed.data;
  const now = options.now ?? (() => new Date());
  const refuse = (why: string) => new PromotionError(`Cannot roll model '${modelName}' back to version ${toVersion}: ${why}. Nothing was changed.`);

  const model = await client.models.get(modelName);
  if (!model) throw refuse('no such registered model; check the model name');
  const versions = await allVersions(client, modelName);
  const target = versions.find((v) => v.version === toVersion);
  if (!target) throw refuse(`the model has no such version (its versions: ${versions.map((v) => v.version).sort((a, b) => Number(a) - Number(b)).join(', ') || 'none'})`);
  const deployed = deployedImageOf(target);
  if (!deployed) throw refuse('that version was never deployed (it has no health_predict.image tag, which deploy_to_kubernetes writes after a completed rollout), so there is no known image to roll back to');

  const production = model.aliases[PRODUCTION_ALIAS];
  const earlier = recordedByThisDagRun(versions, toVersion, dagRunId);
  let replaced: string;
  let at: string;
  if (earlier) {
    replaced = earlier.version;
    at = earlier.record!.at;
    if (production !== toVersion && production !== replaced) {
      throw new PromotionError(`Cannot finish the rollback of model '${modelName}' to version ${toVersion} begun by dag run ${dagRunId}: '${PRODUCTION_ALIAS}' has since moved to version ${production ?? '(none)'}. Check the registry and trigger a new rollback if still wanted.`);
    }
  } else {
    if (!production) throw refuse(`it has no '${PRODUCTION_ALIAS}' alias, so nothing is in production to roll back from`);
    if (production === toVersion) throw refuse(`version ${toVersion} already is '${PRODUCTION_ALIAS}'`);
    replaced = production;
    at = now().toISOString();
  }

  const replacedVersion = versions.find((v) => v.version === replaced);
  if (!replacedVersion) throw refuse(`the production version ${replaced} is not among its versions (deleted?)`);
  const record = checkedTagValue(replacedVersion, ROLLBACK_TAG, JSON.stringify({ reason, at, restored: toVersion, trigger: 'manual', dag_id: dagId, dag_run_id: dagRunId }));
  const history = historyPlan(versions, toVersion, rollbackReason(replaced, reason), new Date(at)); // refuses an oversized trail before any write
  return {
    plan: { modelName, restored: toVersion, replaced, image: deployed.image, deployedTo: deployed.deployedTo, resumed: earlier !== undefined },
    aliases: model.aliases,
    record,
    writes: history.writes,
    from: history.from,
  };
}

export async function restoreVersion(client: MlflowClient, modelName: string, toVersion: string, options: RestoreVersionOptions): Promise<RestoreVersionResult> {
  const { plan, aliases, record, writes, from } = await prepare(client, modelName, toVersion, options);
  if (!plan.resumed) await client.models.setVersionTag(modelName, plan.replaced, ROLLBACK_TAG, record);
  if (aliases[PREVIOUS_ALIAS] !== plan.replaced) await client.models.setAlias(modelName, PREVIOUS_ALIAS, plan.replaced);
  if (aliases[PRODUCTION_ALIAS] !== toVersion) await client.models.setAlias(modelName, PRODUCTION_ALIAS, toVersion);
  if (options.syncStages) await client.models.transitionStage(modelName, toVersion, 'Production', { archiveExisting: true });
  await applyPlan(client, modelName, writes);
  return { restored: toVersion, replaced: plan.replaced, image: plan.image, at: from };
}
