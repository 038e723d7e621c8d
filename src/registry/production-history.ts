/**
 * The production audit trail, kept on the model versions themselves so that "which version
 * was in production at time T" is answerable from the registry alone, across promotions and
 * rollbacks (a version may serve several times):
 *
 *   health_predict.production_periods   JSON [{from, to|null, reason}], one entry per stint
 *   health_predict.deployed_at          start of the version's latest stint
 *
 * The `production` alias is the truth. `historyPlan` computes the tag writes that make the
 * trail agree with it; executing the plan again, or a fresh plan after a crash half-way
 * through, converges to the same trail: the production version's open period is written
 * first, and every other open period is closed at exactly that period's `from`.
 */
import { z } from 'zod';
import { NonRetryableError } from '../runtime/errors.ts';
import type { MlflowClient } from './client.ts';
import type { ModelVersion } from './schemas.ts';

export const PERIODS_TAG = 'health_predict.production_periods';
export const DEPLOYED_AT_TAG = 'health_predict.deployed_at';
export const ROLLBACK_TAG = 'health_predict.rollback';

/**
 * MLflow's REST reference: "All storage backends are guaranteed to support [tag] values up
 * to 5000 bytes in size." The open-source SQL store accepts 100 000 characters, hosted
 * registries may not; staying within the guarantee keeps the trail portable.
 */
export const TAG_VALUE_LIMIT_BYTES = 5000;

/** The audit trail is unreadable or would not fit; retrying cannot change that. */
export class AuditTrailError extends NonRetryableError {}

const isoTime = z.iso.datetime();
const periodSchema = z.object({ from: isoTime, to: isoTime.nullable(), reason: z.string() });
export type ProductionPeriod = z.infer<typeof periodSchema>;

/** Written by restorePrevious ({reason, at, restored}); a manual rollback (restoreVersion) adds trigger, dag_id and dag_run_id. */
export const rollbackRecordSchema = z.object({
  reason: z.string(),
  at: isoTime,
  restored: z.string(),
  trigger: z.enum(['automatic', 'manual']).optional(),
  dag_id: z.string().optional(),
  dag_run_id: z.string().optional(),
});
export type RollbackRecord = z.infer<typeof rollbackRecordSchema>;

export interface TagWrite {
  version: string;
  key: string;
  value: string;
}

const where = (version: ModelVersion) => `Model '${version.name}' version ${version.version}`;

/** The version's production periods, oldest first; [] when it never served. */
export function readPeriods(version: ModelVersion): ProductionPeriod[] {
  const raw = version.tags[PERIODS_TAG];
  if (!raw) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = z.array(periodSchema).safeParse(json);
  if (!parsed.success) {
    throw new AuditTrailError(
      `${where(version)} has a malformed ${PERIODS_TAG} tag (expected a JSON list of {from, to, reason} with ISO times): ${raw.slice(0, 200)}. Repair the tag by hand from the registry's history; promotion does not overwrite it.`,
    );
  }
  return parsed.data;
}

/** The version's rollback record, or undefined when it has none (or an unreadable one). */
export function readRollback(version: ModelVersion): RollbackRecord | undefined {
  try {
    const parsed = rollbackRecordSchema.safeParse(JSON.parse(version.tags[ROLLBACK_TAG] ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `value` as a tag value of `version`, refused (never truncated) beyond the portable limit. */
export function checkedTagValue(version: ModelVersion, key: string, value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > TAG_VALUE_LIMIT_BYTES) {
    throw new AuditTrailError(
      `${where(version)}: tag ${key} would be ${bytes} bytes, over the ${TAG_VALUE_LIMIT_BYTES}-byte tag value size MLflow guarantees on every backend. The audit trail is never truncated: use a shorter reason, or register and promote a new version of the model (a new version starts with an empty history).`,
    );
  }
  return value;
}

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * The tag writes that make the trail say "`production` serves from now on": open a period on
 * it (unless one is open), close every other open period at that period's start, and point
 * deployed_at at that start. Throws AuditTrailError before anything is written when a tag
 * would not fit. `from` is when the production version's current stint began.
 */
export function historyPlan(versions: ModelVersion[], production: string, reason: string, now: Date): { writes: TagWrite[]; from: string } {
  const serving = versions.find((v) => v.version === production);
  if (!serving) throw new AuditTrailError(`Model version ${production} is not among the registered versions read for the audit trail; it may have been deleted.`);
  const writes: TagWrite[] = [];
  const periods = readPeriods(serving);
  let open = [...periods].reverse().find((p) => p.to === null);
  if (!open) {
    open = { from: now.toISOString(), to: null, reason };
    writes.push({ version: production, key: PERIODS_TAG, value: checkedTagValue(serving, PERIODS_TAG, JSON.stringify([...periods, open])) });
  }
  const from = open.from;
  for (const other of versions) {
    if (other.version === production) continue;
    const list = readPeriods(other);
    if (!list.some((p) => p.to === null)) continue;
    const closed = list.map((p) => (p.to === null ? { ...p, to: later(p.from, from) } : p));
    writes.push({ version: other.version, key: PERIODS_TAG, value: checkedTagValue(other, PERIODS_TAG, JSON.stringify(closed)) });
  }
  if (serving.tags[DEPLOYED_AT_TAG] !== from) writes.push({ version: production, key: DEPLOYED_AT_TAG, value: from });
  return { writes, from };
}

/** Performs the writes in order (the order is what makes a crash recoverable). */
export async function applyPlan(client: MlflowClient, modelName: string, writes: TagWrite[]): Promise<void> {
  for (const write of writes) await client.models.setVersionTag(modelName, write.version, write.key, write.value);
}

/** The version whose period contains `at` (from ≤ at < to); the latest-starting one if records overlap. */
export function versionServingAt(versions: ModelVersion[], at: Date): string | undefined {
  const time = at.getTime();
  let best: { version: string; from: number } | undefined;
  for (const version of versions) {
    for (const period of readPeriods(version)) {
      const from = Date.parse(period.from);
      const to = period.to === null ? Infinity : Date.parse(period.to);
      if (from <= time && time < to && (!best || from > best.from)) best = { version: version.version, from };
    }
  }
  return best?.version;
}

/** An MLflow search filter selecting the versions of `modelName`. */
export function modelNameFilter(modelName: string): string {
  if (!modelName.includes("'")) return `name = '${modelName}'`;
  if (!modelName.includes('"')) return `name = "${modelName}"`;
  throw new AuditTrailError(`Model name ${modelName} contains both quote characters, which MLflow's search filter cannot express. Rename the registered model.`);
}

/** Every version of the model, with tags (search answers carry no aliases), following page tokens. */
export function allVersions(client: MlflowClient, modelName: string): Promise<ModelVersion[]> {
  return client.models.searchAllVersions({ filter: modelNameFilter(modelName) });
}
