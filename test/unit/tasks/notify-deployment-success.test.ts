/**
 * notify-deployment-success: the promotion (register_and_promote_model's XCom, gate outcome
 * included) becomes one notification, delivered to a real local SMTP server and a local
 * webhook receiver; the XCom lists the channels that got it.
 */
import { describe, expect, it, vi } from 'vitest';
import { EXIT_NON_RETRYABLE, EXIT_OK } from '../../../src/runtime/index.ts';
import notifyTask from '../../../src/tasks/notify-deployment-success.ts';
import { deployOutcome } from './gate-outcomes.ts';
import { slackText, useNotifyReceivers } from './notify-receivers.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const promotion = {
  model_name: 'health-predict-readmission',
  version: '4',
  previous_version: '3',
  promoted_at: '2026-03-02T08:00:05.000Z',
  reused: false,
  source: 'runs:/candidate0run0id/model',
  outcome: deployOutcome(),
};
const run = (input: object) => runAsAirflow(notifyTask, 'notify_deployment_success', input, { runId: 'manual__2026-03-02T08:00:00+00:00' });

const receivers = useNotifyReceivers();

describe('notify-deployment-success', () => {
  it('sends the new version and the decision to every requested channel and returns them', async () => {
    const result = await run({ promotion, channels: ['log', 'email', 'slack'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'email', 'slack'] });

    const [mail] = receivers.mail.messages;
    expect(receivers.mail.messages).toHaveLength(1);
    expect(mail!.subject).toBe('[INFO] health-predict-readmission v4 promoted to production (DEPLOY, ΔF1 +0.0600)');
    expect(mail!.text).toContain("version 3 stays reachable as 'previous'");
    expect(mail!.text).toMatch(/Model version:\s+health-predict-readmission v4\n/);
    expect(mail!.text).toMatch(/Decision run:\s+decision0deploy0run\n/);
    expect(mail!.text).toContain('manual__2026-03-02T08:00:00+00:00');
    expect(mail!.text).not.toContain('Not part of this run');

    expect(receivers.webhook.requests).toHaveLength(1);
    expect(slackText(receivers.webhook)).toContain('health-predict-readmission v4 promoted to production');
    const logged = result.logs.find((l) => 'notification' in l) as { notification: { kind: string; dag_id: string } };
    expect(logged.notification).toMatchObject({ kind: 'deployment_success', dag_id: 'health_predict_continuous_improvement' });
  });

  it('names the deploy stages a shorter deploy_target left out', async () => {
    const result = await run({ promotion, channels: ['email'], deploy_target: 'ecr' });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'email'] });
    expect(receivers.mail.messages[0]!.text).toMatch(/Not part of this run:\s+the Kubernetes rollout, its verification and health check\n/);
    expect(receivers.webhook.requests).toHaveLength(0);
  });

  it('skips a requested channel that is not configured with a warning, names it in the message, and succeeds', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', undefined);
    try {
      const result = await run({ promotion, channels: ['email', 'slack'] });
      expect(result.code, problemsOf(result)).toBe(EXIT_OK);
      expect(result.output).toEqual({ delivered: ['airflow', 'email'] });
      const warning = result.logs.find((line) => line.level === 'warn' && line.channel === 'slack') as { msg: string } | undefined;
      expect(warning?.msg).toContain('SLACK_WEBHOOK_URL is not set');
      expect(receivers.mail.messages.at(-1)!.text).toContain('slack (not configured)');
      expect(receivers.webhook.requests).toHaveLength(0);
    } finally {
      vi.stubEnv('SLACK_WEBHOOK_URL', receivers.webhook.url);
    }
  });

  it('rejects an unknown channel and a promotion without its gate outcome as input contract violations', async () => {
    const { outcome: _, ...withoutOutcome } = promotion;
    for (const input of [{ promotion, channels: ['pager'] }, { promotion: withoutOutcome, channels: ['airflow'] }]) {
      const result = await run(input);
      expect(result.code).toBe(EXIT_NON_RETRYABLE);
      expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    }
    expect(receivers.mail.messages).toHaveLength(0);
  });
});
