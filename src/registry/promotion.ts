/**
 * Promotion in the model registry: register a champion run's model directory as a version,
 * move the `production` alias onto it while keeping the replaced version reachable as
 * `previous`, and keep the audit trail (production-history.ts); plus the reads the gates need
 * and the rollback.
 *
 * Idempotent because Airflow may re-run the task after a crash anywhere. A version is
 * recognised by its run and the `health_predict.dag_run_id` it was created with (tags given at
 * creation are atomic with it). The writes run in the order previous → production → stage →
 * audit tags; on a retry each is either already done (and skipped) or done from what the
 * registry shows, so the end state is the one an uninterrupted promotion leaves.
 */
import { z } from 'zod';
import { BadDataError, NonRetryableError } from '../runtime/errors.ts';
import type { MlflowClient } from './client.ts';
import { MlflowError, MlflowNotFoundError } from './errors.ts';
import type { CreateVersionOptions, WaitOptions } from './models.ts';
import {
  DEPLOYED_AT_TAG,
  PERIODS_TAG,
  ROLLBACK_TAG,
  TAG_VALUE_LIMIT_BYTES,
  allVersions,
  applyPlan,
  checkedTagValue,
  historyPlan,
  readPeriods,
  readRollback,
  versionServingAt,
} from './production-history.ts';
import type { ModelVersion, Run } from './schemas.ts';

export const PRODUCTION_ALIAS = 'production';
export const PREVIOUS_ALIAS = 'previous';
export const AUDIT_TAG_PREFIX = 'health_predict.';
export const DAG_RUN_ID_TAG = `${AUDIT_TAG_PREFIX}dag_run_id`;
/** What the serving side reads from the registered model directory. */
export const MODEL_FILES = ['model.onnx', 'metadata.json'] as const;

/** The registry is not in a state the promotion or rollback can work from; retrying cannot help. */
export class PromotionError extends NonRetryableError {}

export interface PromotionRequest {
  modelName: string;
  /** The champion's MLflow run. */
  runId: string;
  /** Directory in the run holding model.onnx + metadata.json, e.g. 'model'. */
  artifactPath: string;
  /** decision, delta_f1, ci_lower, ci_upper, forced, dag_id, dag_run_id (required), …; tagged on the version as `health_predict.<key>`. */
  audit: Record<string, string>;
  /** Also move the version to the deprecated stage Production, archiving the one there (default false). */
  syncStages?: boolean;
  now?: () => Date;
  wait?: WaitOptions;
}

export interface PromotionResult {
  modelName: string;
  version: string;
  /** The version `previous` points at afterwards (the one production replaced), or null. */
  previousVersion: string | null;
  source: string;
  runId: string;
  /** True when a version registered by an earlier attempt of the same dag run was reused. */
  reused: boolean;
  /** When the version's current production period began (ISO). */
  promotedAt: string;
}

const RESERVED_TAGS = new Set([PERIODS_TAG, DEPLOYED_AT_TAG, ROLLBACK_TAG]);
const prefixed = (key: string) => (key.startsWith(AUDIT_TAG_PREFIX) ? key : `${AUDIT_TAG_PREFIX}${key}`);

const auditSchema = z
  .record(z.string().regex(/^[\w.\- :/]+$/, 'tag keys may hold letters, digits and _ - . : / and spaces'), z.string())
  .transform((audit) => Object.fromEntries(Object.entries(audit).map(([key, value]) => [prefixed(key), value])))
  .superRefine((audit, ctx) => {
    if (!audit[DAG_RUN_ID_TAG]) ctx.addIssue({ code: 'custom', message: 'dag_run_id is required: it is what makes a retried promotion find its version' });
    for (const [key, value] of Object.entries(audit)) {
      if (RESERVED_TAGS.has(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'is written by the promotion itself' });
      if (key.length > 250) ctx.addIssue({ code: 'custom', path: [key], message: 'is longer than the 250 characters MLflow allows for a tag key' });
      if (Buffer.byteLength(value) > TAG_VALUE_LIMIT_BYTES) ctx.addIssue({ code: 'custom', path: [key], message: `is over ${TAG_VALUE_LIMIT_BYTES} bytes` });
    }
  });

const requestSchema = z.object({
  modelName: z.string().min(1),
  runId: z.string().regex(/^[\w-]+$/, 'an MLflow run id'),
  artifactPath: z.string().regex(/^(?!\/).*[^/]$/, 'a relative directory without leading or trailing /'),
  audit: auditSchema,
  syncStages: z.boolean().default(false),
});

function parseRequest(request: PromotionRequest) {
  const parsed = requestSchema.safeParse(request);
  if (!parsed.success) throw new BadDataError(`The promotion request is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function promotionReason(audit: Record<string, string>): string {
  const get = (key: string) => audit[prefixed(key)];
  const decision = get('decision') ? `decision ${get('decision')}${get('forced') === 'true' ? ' (forced)' : ''}` : undefined;
  const dagRun = [get('dag_id'), get('dag_run_id')].filter(Boolean).join('/');
  return ['promoted', decision, `dag run ${dagRun}`].filter(Boolean).join(', ');
}

/** The reason of the period a rollback opens on the restored version (the history command parses it). */
export const rollbackReason = (failed: string, reason: string) => `rollback of version ${failed}: ${reason}`;

/** A version an earlier attempt of this dag run registered (the oldest, if a race made two). */
function registeredByThisDagRun(versions: ModelVersion[], runId: string, dagRunId: string): ModelVersion | undefined {
  return versions
    .filter((v) => v.runId === runId && v.tags[DAG_RUN_ID_TAG] === dagRunId && v.status !== 'FAILED_REGISTRATION')
    .sort((a, b) => Number(a.version) - Number(b.version))[0];
}

/**
 * Registers the version in one request. When its answer is lost (MLflow stopped, the connection
 * broke) the server may still have created it: look for it before trying again, so a retry never
 * leaves a second version of the same run.
 */
async function createOnce(client: MlflowClient, options: CreateVersionOptions, dagRunId: string): Promise<ModelVersion> {
  try {
    return await client.models.createVersion(options);
  } catch (error) {
    if (!(error instanceof MlflowError && error.retryable)) throw error;
    const created = registeredByThisDagRun(await allVersions(client, options.name), options.runId!, dagRunId);
    if (created) return created;
    return client.models.createVersion(options);
  }
}

/** Fails early, with the path, when the run's model directory lacks what serving needs (proxied artifact stores only). */
async function checkModelFiles(client: MlflowClient, run: Run, artifactPath: string): Promise<void> {
  if (!run.info.artifactUri.startsWith('mlflow-artifacts:')) return;
  const present = new Set((await client.artifacts.list(run.info, artifactPath)).map((entry) => entry.path));
  const missing = MODEL_FILES.map((file) => `${artifactPath}/${file}`).filter((file) => !present.has(file));
  if (missing.length > 0) {
    throw new BadDataError(`Run ${run.info.runId} has no ${missing.join(', ')}; the champion's model directory must hold ${MODEL_FILES.join(' and ')}. Check the run id and artifactPath ('${artifactPath}').`);
  }
}

/**
 * Registers the run's model directory as a version (or reuses the one an earlier attempt of
 * the same dag run registered), waits until READY, points `previous` at the replaced
 * production version and `production` at the new one, and records the audit trail.
 */
export async function promoteRunModel(client: MlflowClient, request: PromotionRequest): Promise<PromotionResult> {
  const { modelName, runId, artifactPath, audit, syncStages } = parseRequest(request);
  const now = request.now ?? (() => new Date());
  const run = await client.runs.get(runId);
  const source = `${run.info.artifactUri.replace(/\/+$/, '')}/${artifactPath}`;
  const versions = await allVersions(client, modelName);
  let version = registeredByThisDagRun(versions, runId, audit[DAG_RUN_ID_TAG]!);
  const reused = version !== undefined;
  if (!version) await checkModelFiles(client, run, artifactPath);

  const model = await client.models.getOrCreate(modelName);
  if (version) {
    for (const [key, value] of Object.entries(audit)) {
      if (version.tags[key] !== value) await client.models.setVersionTag(modelName, version.version, key, value);
    }
  } else {
    version = await createOnce(client, { name: modelName, source, runId, tags: audit }, audit[DAG_RUN_ID_TAG]!);
    versions.push(version);
  }
  await client.models.waitUntilReady(modelName, version.version, request.wait);

  const replaced = model.aliases[PRODUCTION_ALIAS];
  const plan = historyPlan(versions, version.version, promotionReason(audit), now()); // refuses an oversized trail before any alias moves
  if (replaced !== version.version) {
    if (replaced && model.aliases[PREVIOUS_ALIAS] !== replaced) await client.models.setAlias(modelName, PREVIOUS_ALIAS, replaced);
    if (!replaced && model.aliases[PREVIOUS_ALIAS]) await client.models.deleteAlias(modelName, PREVIOUS_ALIAS);
    await client.models.setAlias(modelName, PRODUCTION_ALIAS, version.version);
  }
  if (syncStages) await client.models.transitionStage(modelName, version.version, 'Production', { archiveExisting: true });
  await applyPlan(client, modelName, plan.writes);

  const previousVersion = replaced !== version.version ? (replaced ?? null) : (model.aliases[PREVIOUS_ALIAS] ?? null);
  return { modelName, version: version.version, previousVersion, source: version.source || source, runId, reused, promotedAt: plan.from };
}

/** The version `production` points at and when it was promoted (null when no audit trail says so); undefined without one. */
export async function productionVersion(client: MlflowClient, modelName: string): Promise<{ version: ModelVersion; promotedAt: Date | null } | undefined> {
  let version: ModelVersion | undefined;
  try {
    version = await client.models.getVersionByAlias(modelName, PRODUCTION_ALIAS);
  } catch (error) {
    if (error instanceof MlflowNotFoundError) return undefined;
    throw error;
  }
  if (!version) return undefined;
  const since = version.tags[DEPLOYED_AT_TAG] ?? [...readPeriods(version)].reverse().find((p) => p.to === null)?.from;
  return { version, promotedAt: since && !Number.isNaN(Date.parse(since)) ? new Date(since) : null };
}

/** The version that was in production at `at`, from the audit trail of every version; undefined when none was. */
export async function productionAt(client: MlflowClient, modelName: string, at: Date): Promise<string | undefined> {
  return versionServingAt(await allVersions(client, modelName), at);
}

export interface RestoreOptions {
  /** Also move the restored version to the deprecated stage Production (archiving the failed one). */
  syncStages?: boolean;
}

/**
 * Rolls `production` back to the `previous` version: tags the failed version with
 * `health_predict.rollback` ({reason, at, restored}), moves the alias, closes and opens the
 * production periods, and finally removes `previous` (a rollback consumes it). Safe to repeat
 * after a crash: a rollback that stopped half-way is finished, and repeating a completed one
 * with the same reason returns the same answer.
 */
export async function restorePrevious(
  client: MlflowClient,
  modelName: string,
  reason: string,
  now: () => Date = () => new Date(),
  options: RestoreOptions = {},
): Promise<{ restored: string; failed: string }> {
  if (!reason.trim()) throw new BadDataError(`A rollback of model '${modelName}' needs a reason; it is recorded on the failed version.`);
  const model = await client.models.get(modelName);
  if (!model) throw new PromotionError(`Cannot roll back model '${modelName}': no such registered model. Check the model name.`);
  const production = model.aliases[PRODUCTION_ALIAS];
  const previous = model.aliases[PREVIOUS_ALIAS];
  if (!production) throw new PromotionError(`Cannot roll back model '${modelName}': it has no '${PRODUCTION_ALIAS}' alias, so nothing is deployed to roll back from.`);
  const versions = await allVersions(client, modelName);
  const lastRollbackTo = (restored: string) =>
    versions
      .map((v) => ({ version: v.version, record: readRollback(v) }))
      .filter((r) => r.version !== restored && r.record?.restored === restored)
      .sort((a, b) => Date.parse(b.record!.at) - Date.parse(a.record!.at))[0];

  if (!previous) {
    const done = lastRollbackTo(production);
    const serving = versions.find((v) => v.version === production);
    const openReason = serving && [...readPeriods(serving)].reverse().find((p) => p.to === null)?.reason;
    if (done && done.record!.reason === reason && openReason === rollbackReason(done.version, reason)) return { restored: production, failed: done.version };
    throw new PromotionError(
      `Cannot roll back model '${modelName}': it has no '${PREVIOUS_ALIAS}' alias (production is version ${production}). The first promoted version has nothing before it, and a rollback consumes '${PREVIOUS_ALIAS}'; to go further back, set '${PREVIOUS_ALIAS}' to the wanted version by hand.`,
    );
  }

  let failed: string;
  let plan: ReturnType<typeof historyPlan>;
  if (production !== previous) {
    failed = production;
    const failedVersion = versions.find((v) => v.version === failed);
    if (!failedVersion) throw new PromotionError(`Cannot roll back model '${modelName}': production version ${failed} is not among its versions (deleted?).`);
    const at = now();
    const record = checkedTagValue(failedVersion, ROLLBACK_TAG, JSON.stringify({ reason, at: at.toISOString(), restored: previous }));
    plan = historyPlan(versions, previous, rollbackReason(failed, reason), at); // refuses an oversized trail before any write
    await client.models.setVersionTag(modelName, failed, ROLLBACK_TAG, record);
    await client.models.setAlias(modelName, PRODUCTION_ALIAS, previous);
  } else {
    // Only a rollback that stopped after moving `production` leaves both aliases on one version.
    const pending = lastRollbackTo(previous);
    if (!pending) {
      throw new PromotionError(`Cannot roll back model '${modelName}': '${PRODUCTION_ALIAS}' and '${PREVIOUS_ALIAS}' both point at version ${previous} and no rollback record explains it. Delete the '${PREVIOUS_ALIAS}' alias or point it at the version to restore.`);
    }
    failed = pending.version;
    plan = historyPlan(versions, previous, rollbackReason(failed, pending.record!.reason), now());
  }
  if (options.syncStages) await client.models.transitionStage(modelName, previous, 'Production', { archiveExisting: true });
  await applyPlan(client, modelName, plan.writes);
  await client.models.deleteAlias(modelName, PREVIOUS_ALIAS);
  return { restored: previous, failed };
}
