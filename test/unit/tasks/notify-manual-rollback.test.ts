/**
 * notify-manual-rollback with real receivers: the Slack-style webhook gets one rollback message
 * that says it was manual, from which run, why, and from → to; a dry run skips and sends nothing.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_SKIP } from '../../../src/runtime/index.ts';
import notifyTask from '../../../src/tasks/notify-manual-rollback.ts';
import { ROLLED_TO_ONE, imageOf, planToOne } from './manual-rollback-fixtures.ts';
import { useNotifyReceivers } from './notify-receivers.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const receivers = useNotifyReceivers();
const rolled = ROLLED_TO_ONE;
const restored = { restored: '1', replaced: '2', image: imageOf('1'), at: '2026-12-07T03:00:00.000Z' };

describe('notify-manual-rollback', () => {
  it('sends one rollback message: manual, the run, the reason, v2 → v1', async () => {
    const result = await runAsAirflow(notifyTask, 'notify_manual_rollback', { plan: planToOne('hp-model'), rolled, restored, channels: ['airflow', 'slack'] }, { runId: 'manual__to_1' });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'slack'] });
    expect(receivers.webhook.requests).toHaveLength(1);
    const text = receivers.webhook.requests[0]!.body;
    expect(text).toContain('Manual rollback: hp-model v2 → v1 in production');
    expect(text).toContain('manual (dag run manual__to_1)');
    expect(text).toContain('v2 flags too many readmissions');
    expect(text).toContain('rollback');
  });

  it('a dry run skips and sends nothing', async () => {
    const result = await runAsAirflow(notifyTask, 'notify_manual_rollback', { plan: planToOne('hp-model', { dry_run: true }), rolled, restored, channels: ['slack'] });
    expect(result.code).toBe(EXIT_SKIP);
    expect(result.skipReason).toMatch(/^dry run/);
    expect(receivers.webhook.requests).toHaveLength(0);
  });
});
