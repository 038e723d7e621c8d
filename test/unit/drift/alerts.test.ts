/** The action after the cooldown (decideAction), and the alert timers kept in the object store (file:// in a temp dir). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createObjectStore, fileUri } from '../../../src/data/object-store.ts';
import {
  type AlertRecord,
  type AlertState,
  alertStateUri,
  decideAction,
  driftActionSchema,
  NO_ALERTS,
  readAlertState,
  recordAlert,
} from '../../../src/drift/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';

const T0 = '2026-12-07T03:00:00.000Z';
const hoursAfter = (hours: number) => new Date(Date.parse(T0) + hours * 3_600_000);
const retrainAt: AlertRecord = { at: T0, dag_run_id: 'scheduled__2026-12-07T03:00:00+00:00', level: 'MAJOR', batch_index: 4 };
const warningAt: AlertRecord = { ...retrainAt, dag_run_id: 'scheduled__warn', level: 'MINOR', batch_index: 5 };
const afterRetrain: AlertState = { last_retrain: retrainAt, last_warning: null };
const afterWarning: AlertState = { last_retrain: null, last_warning: warningAt };
const decide = (level: Parameters<typeof decideAction>[0]['level'], state: AlertState, hours: number, cooldown = 6, dagRunId?: string) =>
  driftActionSchema.parse(decideAction({ level }, state, hoursAfter(hours), cooldown, { dagRunId }));

describe('decideAction', () => {
  it.each([
    // level, state, hours after T0, cooldown hours, action
    ['NONE', NO_ALERTS, 0, 6, 'none'],
    ['NONE', afterRetrain, 1, 6, 'none'],
    ['MINOR', NO_ALERTS, 0, 6, 'warn'],
    ['MINOR', afterRetrain, 1, 6, 'warn'], // the warning has its own timer
    ['MINOR', afterWarning, 5.99, 6, 'none'],
    ['MINOR', afterWarning, 6, 6, 'warn'],
    ['MODERATE', NO_ALERTS, 0, 6, 'retrain'],
    ['MAJOR', NO_ALERTS, 0, 6, 'retrain'],
    ['PERFORMANCE_DROP', NO_ALERTS, 0, 6, 'retrain'],
    ['MAJOR', afterWarning, 1, 6, 'retrain'],
    ['MAJOR', afterRetrain, 0, 6, 'none'],
    ['MAJOR', afterRetrain, 5.999, 6, 'none'],
    ['MODERATE', afterRetrain, 3, 6, 'none'],
    ['PERFORMANCE_DROP', afterRetrain, 3, 6, 'none'],
    ['MAJOR', afterRetrain, 6, 6, 'retrain'], // the cooldown ends exactly cooldown hours after the trigger
    ['MAJOR', afterRetrain, 30, 6, 'retrain'],
    ['MAJOR', afterRetrain, 0, 0, 'retrain'], // 0 hours: no cooldown
    ['MINOR', afterWarning, 0, 0, 'warn'],
    ['MAJOR', afterRetrain, 1.5, 2, 'none'],
    ['MAJOR', afterRetrain, 2, 2, 'retrain'],
  ] as const)('%s with %o, %d h later, cooldown %d h → %s', (level, state, hours, cooldown, action) => {
    expect(decide(level, state, hours, cooldown).action).toBe(action);
  });

  it("names the last trigger's DAG run, its time and when the cooldown ends when it holds a retrain back", () => {
    const held = decide('MAJOR', afterRetrain, 2);
    expect(held.reason).toBe(
      "MAJOR, but the last retrain trigger (DAG run 'scheduled__2026-12-07T03:00:00+00:00', MAJOR on batch 4) was at 2026-12-07T03:00:00.000Z: within DRIFT_ALERT_COOLDOWN_HOURS, the cooldown ends at 2026-12-07T09:00:00.000Z",
    );
    expect(held.cooldown).toEqual({ active: true, until: '2026-12-07T09:00:00.000Z', last: retrainAt });
  });

  it('reports the timer that applied: inactive and null without an alert or a cooldown, the warning timer for MINOR', () => {
    expect(decide('MAJOR', NO_ALERTS, 0).cooldown).toEqual({ active: false, until: null, last: null });
    expect(decide('MAJOR', afterRetrain, 7).cooldown).toEqual({ active: false, until: '2026-12-07T09:00:00.000Z', last: retrainAt });
    expect(decide('MAJOR', afterRetrain, 1, 0).cooldown).toEqual({ active: false, until: null, last: retrainAt });
    expect(decide('MINOR', afterWarning, 1).cooldown).toMatchObject({ active: true, last: warningAt });
    expect(decide('NONE', afterRetrain, 1).cooldown).toMatchObject({ active: true, last: retrainAt });
    expect(decide('MAJOR', NO_ALERTS, 0).reason).toBe('MAJOR: retraining is triggered (no earlier retrain trigger)');
  });

  it('repeats the action of a DAG run that already recorded it (an Airflow retry), instead of being held back by itself', () => {
    const retry = decide('MAJOR', afterRetrain, 0.1, 6, retrainAt.dag_run_id);
    expect(retry).toMatchObject({ action: 'retrain', cooldown: { active: false, last: retrainAt } });
    expect(retry.reason).toMatch(/again: this DAG run already raised it/);
    expect(decide('MINOR', afterWarning, 0.1, 6, warningAt.dag_run_id).action).toBe('warn');
    expect(decide('MAJOR', afterRetrain, 0.1, 6, 'another run').action).toBe('none');
  });

  it('refuses a negative or non-finite cooldown', () => {
    expect(() => decide('MAJOR', NO_ALERTS, 0, -1)).toThrow(RangeError);
    expect(() => decide('MAJOR', NO_ALERTS, 0, Number.NaN)).toThrow(/hours >= 0/);
  });
});

describe('the alert state in the object store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-drift-alerts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = createObjectStore();
  let n = 0;
  const monitoring = () => fileUri(path.join(dir, `monitoring-${++n}`));

  it('reads no alerts when alerts.json does not exist; recordAlert starts the timer of its action and writes it', async () => {
    const uri = monitoring();
    expect(await readAlertState(store, uri)).toEqual(NO_ALERTS);
    const state = await recordAlert(store, uri, NO_ALERTS, 'retrain', retrainAt);
    expect(state).toEqual(afterRetrain);
    expect(alertStateUri(uri)).toBe(`${uri}/alerts.json`);
    expect(await readAlertState(store, uri)).toEqual(afterRetrain);
    const both = await recordAlert(store, uri, state, 'warn', warningAt);
    expect(await readAlertState(store, uri)).toEqual({ last_retrain: retrainAt, last_warning: warningAt });
    expect(both).toEqual(await readAlertState(store, uri));
  });

  it("writes nothing for 'none', and nothing for a retry of the same DAG run (the timer does not move)", async () => {
    const uri = monitoring();
    await recordAlert(store, uri, NO_ALERTS, 'none', retrainAt);
    expect(await store.exists(alertStateUri(uri))).toBe(false);
    const first = await recordAlert(store, uri, NO_ALERTS, 'retrain', retrainAt);
    const retry = await recordAlert(store, uri, await readAlertState(store, uri), 'retrain', { ...retrainAt, at: '2026-12-07T03:20:00.000Z' });
    expect(retry).toEqual(first);
    expect(await readAlertState(store, uri)).toEqual(afterRetrain);
    // a later DAG run moves it
    const later = { ...retrainAt, dag_run_id: 'scheduled__later', at: '2026-12-07T12:00:00.000Z' };
    await recordAlert(store, uri, retry, 'retrain', later);
    expect((await readAlertState(store, uri)).last_retrain).toEqual(later);
  });

  it('refuses an alerts.json that is not JSON or not the schema, saying how to reset it', async () => {
    const uri = monitoring();
    const file = path.join(dir, `monitoring-${n}`);
    await store.put(alertStateUri(uri), '{', 'application/json');
    await expect(readAlertState(store, uri)).rejects.toThrow(BadDataError);
    await expect(readAlertState(store, uri)).rejects.toThrow(/alerts\.json is not JSON .*Delete it to reset the alert cooldown/);
    writeFileSync(path.join(file, 'alerts.json'), JSON.stringify({ last_retrain: { at: 'yesterday' } }));
    await expect(readAlertState(store, uri)).rejects.toThrow(/does not match its schema/);
  });

  it('refuses a record that does not fit the schema before writing', async () => {
    const uri = monitoring();
    await expect(recordAlert(store, uri, NO_ALERTS, 'retrain', { ...retrainAt, at: 'now' })).rejects.toThrow();
    expect(await store.exists(alertStateUri(uri))).toBe(false);
  });
});
