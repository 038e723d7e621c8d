/**
 * What a drift check does about its decision, with a cooldown so that triggers do not pile up:
 * MODERATE, MAJOR and PERFORMANCE_DROP start a retraining ('retrain') unless one was started
 * less than DRIFT_ALERT_COOLDOWN_HOURS ago; MINOR sends a warning ('warn') on its own timer;
 * NONE does nothing. While a triggered improvement run trains and its model has not yet been
 * measured, every batch still shows the same drift — without the cooldown each 3-hourly check
 * would start another run.
 *
 * The timers live in `<monitoring_uri>/alerts.json` in the object store (absent: no alert yet),
 * the last retrain trigger and the last warning, each with its time, DAG run, level and batch.
 * An Airflow retry of the same DAG run sees its own record: `decideAction` repeats the action
 * instead of being held back by it, and `recordAlert` leaves the timer where it is.
 */
import { z } from 'zod';
import { joinUri, type ObjectStore } from '../data/object-store.ts';
import { BadDataError } from '../runtime/errors.ts';
import { DRIFT_ALERT_COOLDOWN } from './config.ts';
import { type DriftDecision, driftDecisionLevelSchema } from './decide.ts';

export const ALERT_STATE_FILE = 'alerts.json';
const HOUR_MS = 3_600_000;

export const alertRecordSchema = z.object({
  /** ISO 8601 time of the check that raised the alert. */
  at: z.iso.datetime({ offset: true }),
  dag_run_id: z.string().min(1),
  level: driftDecisionLevelSchema,
  batch_index: z.number().int().nonnegative(),
});
export type AlertRecord = z.infer<typeof alertRecordSchema>;

export const alertStateSchema = z.object({
  last_retrain: alertRecordSchema.nullable(),
  last_warning: alertRecordSchema.nullable(),
});
export type AlertState = z.infer<typeof alertStateSchema>;

export const NO_ALERTS: AlertState = { last_retrain: null, last_warning: null };

export const DRIFT_ACTIONS = ['retrain', 'warn', 'none'] as const;
export const driftActionNameSchema = z.enum(DRIFT_ACTIONS);
export type DriftActionName = z.infer<typeof driftActionNameSchema>;

export const driftActionSchema = z.object({
  action: driftActionNameSchema,
  reason: z.string().min(1),
  /** The timer that applied: the retrain timer, or for MINOR the warning timer. */
  cooldown: z.object({
    active: z.boolean(),
    /** When the timer's last alert stops holding back the next one (null: no alert yet, or no cooldown). */
    until: z.iso.datetime({ offset: true }).nullable(),
    last: alertRecordSchema.nullable(),
  }),
});
export type DriftAction = z.infer<typeof driftActionSchema>;

export interface DecideActionOptions {
  /** The DAG run deciding: a record of this same run (an Airflow retry) repeats its action. */
  readonly dagRunId?: string;
}

/** The action for `decision` at `now`, given the last alerts and the cooldown (hours, 0 = none). */
export function decideAction(decision: Pick<DriftDecision, 'level'>, state: AlertState, now: Date, cooldownHours: number, options: DecideActionOptions = {}): DriftAction {
  if (!(cooldownHours >= 0 && Number.isFinite(cooldownHours))) throw new RangeError(`the cooldown must be a number of hours >= 0, got ${cooldownHours}`);
  const { last_retrain, last_warning } = alertStateSchema.parse(state);
  const timer = (last: AlertRecord | null) => {
    const until = last && cooldownHours > 0 ? new Date(Date.parse(last.at) + cooldownHours * HOUR_MS) : null;
    const ownRun = last !== null && last.dag_run_id === options.dagRunId;
    return { active: until !== null && now < until && !ownRun, until, last, ownRun };
  };
  const cooldownOf = (t: ReturnType<typeof timer>) => ({ active: t.active, until: t.until?.toISOString() ?? null, last: t.last });

  switch (decision.level) {
    case 'NONE': {
      return { action: 'none', reason: 'no drift (NONE): nothing to do', cooldown: cooldownOf(timer(last_retrain)) };
    }
    case 'MINOR': {
      const t = timer(last_warning);
      if (t.active) return { action: 'none', reason: `MINOR drift, but ${heldBack('warning', t.last!, t.until!)}`, cooldown: cooldownOf(t) };
      return { action: 'warn', reason: `MINOR drift: a warning is sent${repeated(t.ownRun)}${since('warning', t.last)}`, cooldown: cooldownOf(t) };
    }
    default: {
      const t = timer(last_retrain);
      if (t.active) return { action: 'none', reason: `${decision.level}, but ${heldBack('retrain trigger', t.last!, t.until!)}`, cooldown: cooldownOf(t) };
      return { action: 'retrain', reason: `${decision.level}: retraining is triggered${repeated(t.ownRun)}${since('retrain trigger', t.last)}`, cooldown: cooldownOf(t) };
    }
  }
}

function heldBack(what: string, last: AlertRecord, until: Date): string {
  return (
    `the last ${what} (DAG run '${last.dag_run_id}', ${last.level} on batch ${last.batch_index}) was at ${last.at}: ` +
    `within ${DRIFT_ALERT_COOLDOWN.env}, the cooldown ends at ${until.toISOString()}`
  );
}

const repeated = (ownRun: boolean) => (ownRun ? ' (again: this DAG run already raised it, a retry repeats it)' : '');
const since = (what: string, last: AlertRecord | null) =>
  last === null ? ` (no earlier ${what})` : ` (the last ${what}, DAG run '${last.dag_run_id}' at ${last.at}, is outside the cooldown)`;

/** `<monitoringUri>/alerts.json`. */
export const alertStateUri = (monitoringUri: string) => joinUri(monitoringUri, ALERT_STATE_FILE);

/** The alert timers under `monitoringUri`; none yet when the file does not exist. */
export async function readAlertState(store: ObjectStore, monitoringUri: string): Promise<AlertState> {
  const uri = alertStateUri(monitoringUri);
  if (!(await store.exists(uri))) return NO_ALERTS;
  const text = (await store.get(uri)).body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BadDataError(`The drift alert state ${uri} is not JSON (${(error as Error).message}). Delete it to reset the alert cooldown.`);
  }
  const parsed = alertStateSchema.safeParse(json);
  if (!parsed.success) {
    throw new BadDataError(`The drift alert state ${uri} does not match its schema: ${z.prettifyError(parsed.error)}. Delete it to reset the alert cooldown.`);
  }
  return parsed.data;
}

/**
 * Starts the timer of `action` ('retrain' or 'warn'; 'none' changes nothing) at `record`, and
 * returns the new state. Idempotent: when the timer's last record is from the same DAG run
 * (an Airflow retry), nothing is written and the timer does not move.
 */
export async function recordAlert(store: ObjectStore, monitoringUri: string, state: AlertState, action: DriftActionName, record: AlertRecord): Promise<AlertState> {
  const current = alertStateSchema.parse(state);
  const entry = alertRecordSchema.parse(record);
  if (action === 'none') return current;
  const slot = action === 'retrain' ? 'last_retrain' : 'last_warning';
  if (current[slot]?.dag_run_id === entry.dag_run_id) return current;
  const next: AlertState = { ...current, [slot]: entry };
  await store.put(alertStateUri(monitoringUri), `${JSON.stringify(next, null, 2)}\n`, 'application/json');
  return next;
}
