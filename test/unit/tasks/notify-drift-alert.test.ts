/**
 * notify-drift-alert: measure_drift's 'warn' and 'retrain' checks become one notification each,
 * delivered to a real local SMTP server and a local webhook receiver standing in for Slack; a
 * check whose action is 'none' is a skip with its reason, and nothing is sent.
 */
import { describe, expect, it } from 'vitest';
import { type DriftCheck, driftCheckSchema } from '../../../src/pipeline/contract/drift.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK, EXIT_SKIP } from '../../../src/runtime/index.ts';
import notifyTask from '../../../src/tasks/notify-drift-alert.ts';
import { runDriftTask } from './drift-fixtures.ts';
import { slackText, useNotifyReceivers } from './notify-receivers.ts';
import { problemsOf } from './run-as-airflow.ts';

const MONITORING = 's3://hp-monitoring/drift';
const IMPROVEMENT_DAG_ID = 'health_predict_continuous_improvement';

/** A drift check as measure_drift returns it. */
const check = (overrides: Partial<DriftCheck>): DriftCheck =>
  driftCheckSchema.parse({
    level: 'MAJOR',
    drift_level: 'MAJOR',
    score: 0.8123,
    score_source: 'number_inpatient',
    action: 'retrain',
    action_reason: 'MAJOR: retraining is triggered (no earlier retrain trigger)',
    reasons: ["the largest feature PSI ('number_inpatient') is 0.812: MAJOR (at least DRIFT_THRESHOLD_MAJOR = 0.3)", 'production F1 on the batch 0.61 vs its test F1 0.62: a drop of 0.01, within DRIFT_PERFORMANCE_DROP = 0.05'],
    batch_index: 4,
    batch_rows: 9_650,
    batch_f1: 0.61,
    reference_f1: 0.62,
    model_name: 'health-predict-readmission',
    production_version: '3',
    report_uri: `${MONITORING}/reports/batch-0004/drift_report.json`,
    picture_uri: `${MONITORING}/reports/batch-0004/drift_report.svg`,
    mlflow_run_id: '0123456789abcdef0123456789abcdef',
    training_batches: [`${MONITORING}/batches/batch-0001.csv`, `${MONITORING}/batches/batch-0004.csv`],
    ...overrides,
  });
const retrain = check({});
const warn = check({
  level: 'MINOR',
  drift_level: 'MINOR',
  score: 0.0712,
  score_source: 'prediction',
  action: 'warn',
  action_reason: 'MINOR drift: a warning is sent (no earlier warning)',
});

const run = (input: object) => runDriftTask(notifyTask, 'notify_drift_alert', input, { runId: 'scheduled__2026-12-07T09:00:00+00:00' });
const receivers = useNotifyReceivers();

describe('notify-drift-alert', () => {
  it("announces a retraining drift started, naming the DAG it runs in, on Slack and by email", async () => {
    const result = await run({ drift: retrain, channels: ['email', 'slack'], triggered_dag_id: IMPROVEMENT_DAG_ID });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'email', 'slack'] });

    const title = 'MAJOR drift in batch 4: retraining health-predict-readmission started';
    const slack = slackText(receivers.webhook);
    expect(slack).toContain(title);
    expect(slack).toContain(`A run of ${IMPROVEMENT_DAG_ID} was started`);
    expect(slack).toContain("feature 'number_inpatient'");
    expect(slack).toContain(retrain.report_uri);
    const [mail] = receivers.mail.messages;
    expect(mail!.subject).toContain(title);
    for (const reason of retrain.reasons) expect(mail!.text).toContain(reason);
  });

  it('warns about minor drift on Slack, production staying', async () => {
    const result = await run({ drift: warn, channels: ['slack'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'slack'] });
    expect(receivers.webhook.requests).toHaveLength(1);
    const slack = slackText(receivers.webhook);
    expect(slack).toContain('MINOR drift in batch 4 (health-predict-readmission v3): watching, no retraining yet');
    expect(slack).toContain("the production model's predicted probabilities");
    expect(slack).not.toContain('retraining health-predict-readmission started');
    expect(receivers.mail.messages).toHaveLength(0);
  });

  it("skips, with measure_drift's reason, when the action is 'none'; nothing is sent", async () => {
    const reason = 'MAJOR, but the last retrain trigger (DAG run \'scheduled__1\', MAJOR on batch 3) was at 2026-12-07T06:00:00.000Z: within DRIFT_ALERT_COOLDOWN_HOURS, the cooldown ends at 2026-12-07T12:00:00.000Z';
    const result = await run({ drift: check({ action: 'none', action_reason: reason }), channels: ['email', 'slack'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_SKIP);
    expect(result.skipReason).toBe(`Nothing to announce: ${reason}`);
    expect(receivers.webhook.requests).toHaveLength(0);
    expect(receivers.mail.messages).toHaveLength(0);
  });

  it('rejects a channel it does not know as an input contract violation', async () => {
    const result = await run({ drift: warn, channels: ['pager'] });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    expect(result.failure!.error_message).toContain('channels');
  });
});
