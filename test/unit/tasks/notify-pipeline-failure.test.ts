/**
 * notify-pipeline-failure, the DAG's failure handler: the failed task's record becomes an error
 * notification, logged by default and delivered to a local webhook receiver on request. A
 * webhook that keeps answering 503 fails the task retryably (exit 1), a revoked one (404) not.
 */
import { describe, expect, it, vi } from 'vitest';
import { EXIT_NON_RETRYABLE, EXIT_OK, EXIT_RETRYABLE } from '../../../src/runtime/index.ts';
import notifyTask from '../../../src/tasks/notify-pipeline-failure.ts';
import { startHttpSink } from '../notify/sinks.ts';
import { slackText, useNotifyReceivers } from './notify-receivers.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const failure = {
  dag_id: 'health_predict_continuous_improvement',
  task_id: 'build_api_image',
  run_id: 'scheduled__2026-03-02T06:00:00+00:00',
  try_number: 3,
  error: 'docker build exited 1: base image not found',
};
const run = (input: object) => runAsAirflow(notifyTask, 'notify_pipeline_failure', input);

const receivers = useNotifyReceivers();

describe('notify-pipeline-failure', () => {
  it('logs the failure as an error notification and mails it when no channel is given (the default: airflow and email)', async () => {
    const result = await run({ failure });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'email'] });
    const logged = result.logs.find((l) => 'notification' in l) as { level: string; notification: Record<string, unknown> };
    expect(logged.level).toBe('error');
    expect(logged.notification).toMatchObject({
      kind: 'pipeline_failure',
      title: 'Task build_api_image of health_predict_continuous_improvement failed',
      dag_id: failure.dag_id,
      run_id: failure.run_id,
      facts: [
        { label: 'Task', value: 'build_api_image' },
        { label: 'Try', value: '3' },
        { label: 'Error', value: failure.error },
      ],
    });
    expect(receivers.webhook.requests).toHaveLength(0);
  });

  it('says so when the runs before this one failed too (an alert on repeated failures)', async () => {
    const previous_runs = [
      { run_id: 'scheduled__2026-03-01T06:00:00+00:00', state: 'failed' },
      { run_id: 'scheduled__2026-02-28T06:00:00+00:00', state: 'failed' },
      { run_id: 'scheduled__2026-02-27T06:00:00+00:00', state: 'success' },
    ];
    const result = await run({ failure: { ...failure, previous_runs }, channels: ['airflow'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    const logged = result.logs.find((l) => 'notification' in l) as { notification: { title: string; summary: string; facts: unknown[] } };
    expect(logged.notification.title).toBe('Task build_api_image of health_predict_continuous_improvement failed — repeated: the previous 2 runs failed too');
    expect(logged.notification.summary).toContain('the 2 runs before this one failed too (scheduled__2026-03-01T06:00:00+00:00, scheduled__2026-02-28T06:00:00+00:00)');
    expect(logged.notification.facts).toContainEqual({ label: 'Previous runs', value: expect.stringContaining('scheduled__2026-02-27T06:00:00+00:00: success') });

    const once = await run({ failure: { ...failure, previous_runs: [{ run_id: 'manual__1', state: 'success' }] }, channels: ['airflow'] });
    expect((once.logs.find((l) => 'notification' in l) as { notification: { title: string } }).notification.title).toBe('Task build_api_image of health_predict_continuous_improvement failed');
  });

  it('posts it to the webhook when slack is requested', async () => {
    const result = await run({ failure, channels: ['slack'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'slack'] });
    expect(receivers.webhook.requests).toHaveLength(1);
    expect(slackText(receivers.webhook)).toContain('docker build exited 1: base image not found');
  });

  it.each([
    ['keeps answering 503: retryable', 503, EXIT_RETRYABLE, 3],
    ['answers 404 (revoked): not retryable', 404, EXIT_NON_RETRYABLE, 1],
  ])('a webhook that %s', async (_, status, exitCode, attempts) => {
    const webhook = await startHttpSink([{ status, body: 'no_service' }]);
    vi.stubEnv('SLACK_WEBHOOK_URL', webhook.url);
    try {
      const result = await run({ failure, channels: ['slack'] });
      expect(result.code).toBe(exitCode);
      expect(webhook.requests).toHaveLength(attempts);
      expect(JSON.stringify(result.logs)).not.toContain(new URL(webhook.url).pathname);
    } finally {
      vi.stubEnv('SLACK_WEBHOOK_URL', receivers.webhook.url);
      await webhook.close();
    }
  }, 30_000);

  it('rejects a failure record without its task id as an input contract violation', async () => {
    const { task_id: _, ...incomplete } = failure;
    const result = await run({ failure: incomplete });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    expect(result.failure!.error_message).toContain('task_id');
  });
});
