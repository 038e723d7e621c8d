/**
 * The audit trail a person reads (`health-predict history`): one chronological list of what
 * happened to a registered model, built from the registry and MLflow alone. Pure: the caller
 * reads the versions and runs (read-timeline.ts) and this module turns them into entries.
 *
 *   production_period  a stint of a version in production (health_predict.production_periods)
 *   promotion          a version promoted by decision DEPLOY (its audit tags: decision, forced, ΔF1 …)
 *   refresh            a version promoted by decision DEPLOY_REFRESH
 *   rollback           production moved back (health_predict.rollback on the failed version, and the
 *                      restored version's period "rollback of version N: reason")
 *   skip               a decision run that decided SKIP, with its summary as the reason
 *   drift              a DAG run started by drift: runs tagged health_predict.trigger = drift
 *   warning            a tag that could not be read; the rest of the trail is still shown
 *
 * Rollback tag shape: {reason, at, restored} as restorePrevious writes it is an automatic
 * rollback; a manual rollback adds trigger: 'manual' and its own dag_id / dag_run_id. A version
 * rolled back twice keeps only its latest record; the earlier rollback is still listed, from
 * the restored version's period, as automatic.
 */
import { z } from 'zod';
import { AuditTrailError, PERIODS_TAG, ROLLBACK_TAG, type RollbackRecord, readPeriods, rollbackRecordSchema } from './production-history.ts';
import { DAG_RUN_ID_TAG } from './promotion.ts';
import { DECISION_RUN_KIND, DRIFT_LEVEL_TAG, KIND_TAG, TRIGGERS, TRIGGER_TAG, type Trigger } from './run-tags.ts';
import type { ModelVersion, Run } from './schemas.ts';

const isoTime = z.iso.datetime();
const tag = (key: string) => `health_predict.${key}`;

const entryBase = {
  at: isoTime,
  /** The model version concerned (the failed one for a rollback); null for runs without a version. */
  version: z.string().nullable(),
  reason: z.string(),
  trigger: z.enum(TRIGGERS).nullable(),
  dag_id: z.string().nullable(),
  dag_run_id: z.string().nullable(),
  mlflow_run_url: z.string().nullable(),
  airflow_run_url: z.string().nullable(),
};
const promotionFields = {
  decision: z.string().nullable(),
  forced: z.boolean(),
  bootstrap: z.boolean(),
  delta_f1: z.number().nullable(),
  delta_f1_lower_bound: z.number().nullable(),
};

export const timelineEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('production_period'), ...entryBase, to: isoTime.nullable(), duration_s: z.number().nonnegative() }),
  z.object({ kind: z.literal('promotion'), ...entryBase, ...promotionFields }),
  z.object({ kind: z.literal('refresh'), ...entryBase, ...promotionFields }),
  z.object({ kind: z.literal('rollback'), ...entryBase, restored_version: z.string(), mode: z.enum(['automatic', 'manual']) }),
  z.object({ kind: z.literal('skip'), ...entryBase, drift_level: z.string().nullable() }),
  z.object({ kind: z.literal('drift'), ...entryBase, drift_level: z.string().nullable(), decision: z.string().nullable() }),
  z.object({ kind: z.literal('warning'), ...entryBase }),
]);
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
export type TimelineKind = TimelineEntry['kind'];
export const timelineSchema = z.array(timelineEntrySchema);

export interface TimelineSources {
  /** MLflow's base URL, without credentials. */
  trackingUri: string;
  /** The Airflow UI page of a DAG run (notify's airflowRunUrl under Airflow's base URL); absent → no Airflow links. */
  airflowRunUrl?: (dagId: string, dagRunId: string) => string;
  versions: ModelVersion[];
  /** Decision runs and drift-triggered runs. */
  runs: Run[];
  /** Experiment of each other run an entry links to (the versions' source runs). */
  runExperiments: Record<string, string>;
  now: Date;
}

export interface TimelineFilter {
  /** Only what happened at or after this time (and the production periods still open then). */
  since?: Date;
  /** Only the newest N entries (warnings are always kept). */
  limit?: number;
}

const ROLLBACK_REASON = /^rollback of version (\S+): ([\s\S]*)$/;
/** Entries at the same instant read in causal order: the trigger, the decision, its effect, the stint it opens. */
const KIND_ORDER: Record<TimelineKind, number> = { drift: 0, skip: 1, promotion: 2, refresh: 2, rollback: 3, production_period: 4, warning: 5 };

/** The whole timeline of the sources, oldest first, then filtered. */
export function buildTimeline(sources: TimelineSources, filter: TimelineFilter = {}): TimelineEntry[] {
  const links = linker(sources);
  const entries: TimelineEntry[] = [];
  const byNumber = new Map(sources.versions.map((v) => [v.version, v]));
  for (const version of sources.versions) entries.push(...versionEntries(version, byNumber, links, sources.now));
  entries.push(...rollbacksOnlyInPeriods(sources.versions, entries, links));
  entries.push(...runEntries(sources.runs, links));
  entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || Number(a.version ?? 0) - Number(b.version ?? 0));
  return applyFilter(entries, filter);
}

function applyFilter(entries: TimelineEntry[], { since, limit }: TimelineFilter): TimelineEntry[] {
  const from = since?.getTime() ?? -Infinity;
  const kept = entries.filter((entry) => {
    if (entry.kind === 'warning') return true;
    if (entry.kind === 'production_period') return entry.to === null || Date.parse(entry.to) > from;
    return Date.parse(entry.at) >= from;
  });
  if (limit === undefined) return kept;
  const events = kept.filter((entry) => entry.kind !== 'warning');
  const dropped = new Set<TimelineEntry>(events.slice(0, Math.max(0, events.length - limit)));
  return kept.filter((entry) => !dropped.has(entry));
}

function linker(sources: TimelineSources) {
  const experiments = new Map(Object.entries(sources.runExperiments));
  for (const run of sources.runs) experiments.set(run.info.runId, run.info.experimentId);
  const mlflowBase = sources.trackingUri.replace(/\/+$/, '');
  return {
    mlflow(runId: string | undefined): string | null {
      const experiment = runId && experiments.get(runId);
      return experiment ? `${mlflowBase}/#/experiments/${encodeURIComponent(experiment)}/runs/${encodeURIComponent(runId)}` : null;
    },
    airflow(dagId: string | null, dagRunId: string | null): string | null {
      return sources.airflowRunUrl && dagId && dagRunId ? sources.airflowRunUrl(dagId, dagRunId) : null;
    },
  };
}
type Links = ReturnType<typeof linker>;

const isoOf = (ms: number | undefined, fallback: Date) => new Date(ms ?? fallback.getTime()).toISOString();
const numberOf = (value: string | undefined) => (value === undefined || value.trim() === '' || Number.isNaN(Number(value)) ? null : Number(value));
const triggerOf = (value: string | undefined): Trigger | null => ((TRIGGERS as readonly string[]).includes(value ?? '') ? (value as Trigger) : null);

function warning(at: string, version: string | null, reason: string): TimelineEntry {
  return { kind: 'warning', at, version, reason, trigger: null, dag_id: null, dag_run_id: null, mlflow_run_url: null, airflow_run_url: null };
}

/** A tag value outside its vocabulary is a warning; the entry shows no trigger. */
function triggerWarning(tags: Record<string, string>, at: string, version: string | null, where: string): TimelineEntry[] {
  const raw = tags[TRIGGER_TAG];
  return raw !== undefined && triggerOf(raw) === null ? [warning(at, version, `${where}: ${TRIGGER_TAG} is '${raw.slice(0, 60)}', expected one of ${TRIGGERS.join(', ')}`)] : [];
}

/** The DAG run behind a stint: the one that promoted the version, or the one whose failed deploy a rollback undid. */
function periodDagRun(reason: string, version: ModelVersion, byNumber: Map<string, ModelVersion>): { dag_id: string | null; dag_run_id: string | null } {
  const rolledBack = ROLLBACK_REASON.exec(reason);
  const source = rolledBack ? byNumber.get(rolledBack[1]!) : reason.startsWith('promoted') ? version : undefined;
  return { dag_id: source?.tags[tag('dag_id')] ?? null, dag_run_id: source?.tags[DAG_RUN_ID_TAG] ?? null };
}

function versionEntries(version: ModelVersion, byNumber: Map<string, ModelVersion>, links: Links, now: Date): TimelineEntry[] {
  const { tags } = version;
  const created = isoOf(version.creationTimestamp, now);
  const dagId = tags[tag('dag_id')] ?? null;
  const dagRunId = tags[DAG_RUN_ID_TAG] ?? null;
  const common = { version: version.version, trigger: triggerOf(tags[TRIGGER_TAG]), dag_id: dagId, dag_run_id: dagRunId, airflow_run_url: links.airflow(dagId, dagRunId) };
  const entries: TimelineEntry[] = triggerWarning(tags, created, version.version, `Version ${version.version}`);

  let periods: ReturnType<typeof readPeriods> = [];
  try {
    periods = readPeriods(version);
  } catch (error) {
    if (!(error instanceof AuditTrailError)) throw error;
    const raw = tags[PERIODS_TAG] ?? '';
    entries.push(warning(created, version.version, `Version ${version.version}: unreadable ${PERIODS_TAG} tag (expected a JSON list of {from, to, reason}), its production periods are not shown: ${raw.slice(0, 120)}`));
  }
  const sourceRunUrl = links.mlflow(version.runId);
  for (const period of periods) {
    const end = period.to === null ? now.getTime() : Date.parse(period.to);
    const dagRun = periodDagRun(period.reason, version, byNumber);
    entries.push({
      kind: 'production_period',
      at: period.from,
      ...common,
      ...dagRun,
      airflow_run_url: links.airflow(dagRun.dag_id, dagRun.dag_run_id),
      reason: period.reason,
      mlflow_run_url: sourceRunUrl,
      to: period.to,
      duration_s: Math.max(0, Math.round((end - Date.parse(period.from)) / 1000)),
    });
  }

  const decision = tags[tag('decision')] ?? null;
  const promoted = periods.find((period) => period.reason.startsWith('promoted'));
  if (decision !== null || promoted) {
    const forced = tags[tag('forced')] === 'true';
    const bootstrap = tags[tag('bootstrap_deploy')] === 'true';
    const deltaF1 = numberOf(tags[tag('delta_f1')]);
    const lowerBound = numberOf(tags[tag('delta_f1_lower_bound')]);
    entries.push({
      kind: decision === 'DEPLOY_REFRESH' ? 'refresh' : 'promotion',
      at: promoted?.from ?? created,
      ...common,
      reason: promotionReason(decision, forced, bootstrap, deltaF1, lowerBound),
      mlflow_run_url: links.mlflow(tags[tag('decision_run_id')]) ?? sourceRunUrl,
      decision,
      forced,
      bootstrap,
      delta_f1: deltaF1,
      delta_f1_lower_bound: lowerBound,
    });
  }

  const rawRollback = tags[ROLLBACK_TAG];
  if (rawRollback !== undefined) {
    const record = parseRollback(rawRollback);
    if (!record) entries.push(warning(created, version.version, `Version ${version.version}: unreadable ${ROLLBACK_TAG} tag (expected JSON {reason, at, restored}): ${rawRollback.slice(0, 200)}`));
    else {
      const manual = record.trigger === 'manual';
      const rollbackDagId = manual ? (record.dag_id ?? null) : (record.dag_id ?? dagId);
      const rollbackRunId = manual ? (record.dag_run_id ?? null) : (record.dag_run_id ?? dagRunId);
      entries.push({
        kind: 'rollback',
        at: record.at,
        version: version.version,
        reason: record.reason,
        trigger: manual ? 'manual' : common.trigger,
        dag_id: rollbackDagId,
        dag_run_id: rollbackRunId,
        mlflow_run_url: sourceRunUrl,
        airflow_run_url: links.airflow(rollbackDagId, rollbackRunId),
        restored_version: record.restored,
        mode: manual ? 'manual' : 'automatic',
      });
    }
  }
  return entries;
}

function parseRollback(raw: string): RollbackRecord | undefined {
  try {
    const parsed = rollbackRecordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;

function promotionReason(decision: string | null, forced: boolean, bootstrap: boolean, deltaF1: number | null, lowerBound: number | null): string {
  const parts = [`decision ${decision ?? 'unrecorded'}${forced ? ' (forced)' : ''}${bootstrap ? ', first model' : ''}`];
  if (deltaF1 !== null) parts.push(`ΔF1 ${signed(deltaF1)}${lowerBound !== null ? ` (lower bound ${signed(lowerBound)})` : ''}`);
  return parts.join(', ');
}

/** Rollbacks whose record on the failed version was overwritten by a later one: known only from the restored version's period. */
function rollbacksOnlyInPeriods(versions: ModelVersion[], entries: TimelineEntry[], links: Links): TimelineEntry[] {
  const recorded = new Set(entries.filter((e) => e.kind === 'rollback').map((e) => `${e.version}>${e.kind === 'rollback' ? e.restored_version : ''}@${Date.parse(e.at)}`));
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  const found: TimelineEntry[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'production_period') continue;
    const match = ROLLBACK_REASON.exec(entry.reason);
    if (!match || recorded.has(`${match[1]}>${entry.version}@${Date.parse(entry.at)}`)) continue;
    const failed = byVersion.get(match[1]!);
    const dagId = failed?.tags[tag('dag_id')] ?? null;
    const dagRunId = failed?.tags[DAG_RUN_ID_TAG] ?? null;
    found.push({
      kind: 'rollback',
      at: entry.at,
      version: match[1]!,
      reason: match[2]!,
      trigger: null,
      dag_id: dagId,
      dag_run_id: dagRunId,
      mlflow_run_url: links.mlflow(failed?.runId),
      airflow_run_url: links.airflow(dagId, dagRunId),
      restored_version: entry.version!,
      mode: 'automatic',
    });
  }
  return found;
}

function runEntries(runs: Run[], links: Links): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const driftDagRuns = new Set<string>();
  const byStart = [...runs].sort((a, b) => (a.info.startTime ?? 0) - (b.info.startTime ?? 0));
  for (const run of byStart) {
    const { tags } = run.data;
    const at = isoOf(run.info.startTime, new Date(0));
    const dagId = tags[tag('dag_id')] ?? null;
    const dagRunId = tags[DAG_RUN_ID_TAG] ?? null;
    const trigger = triggerOf(tags[TRIGGER_TAG]);
    const driftLevel = tags[DRIFT_LEVEL_TAG] ?? null;
    const common = { at, version: null, trigger, dag_id: dagId, dag_run_id: dagRunId, mlflow_run_url: links.mlflow(run.info.runId), airflow_run_url: links.airflow(dagId, dagRunId) };
    const where = `Run ${run.info.runId}`;
    entries.push(...triggerWarning(tags, at, null, where));
    const isDecision = tags[KIND_TAG] === DECISION_RUN_KIND;
    const decision = tags[tag('decision')] ?? null;

    if (trigger === 'drift' && !driftDagRuns.has(dagRunId ?? run.info.runId)) {
      driftDagRuns.add(dagRunId ?? run.info.runId);
      const level = driftLevel === null ? 'drift' : `drift level ${driftLevel}`;
      entries.push({ kind: 'drift', ...common, reason: `${level} triggered the DAG run`, drift_level: driftLevel, decision: isDecision ? decision : null });
    }
    if (!isDecision) continue;
    if (decision === null) entries.push(warning(at, null, `${where} is a decision run without a ${tag('decision')} tag`));
    else if (decision === 'SKIP') entries.push({ kind: 'skip', ...common, reason: tags['mlflow.note.content'] || 'SKIP (no summary recorded)', drift_level: driftLevel });
  }
  return entries;
}
