/**
 * notify-no-deployment: the skip path's outcome and log_skip_decision's XCom (made here by
 * running that task on the same outcome) become one warning, delivered to a real local SMTP
 * server and a local webhook receiver.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT_NON_RETRYABLE, EXIT_OK } from '../../../src/runtime/index.ts';
import logSkipTask from '../../../src/tasks/log-skip-decision.ts';
import notifyTask from '../../../src/tasks/notify-no-deployment.ts';
import { skipOutcome } from './gate-outcomes.ts';
import { slackText, useNotifyReceivers } from './notify-receivers.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';

const outcome = skipOutcome();
const run = (input: object) => runAsAirflow(notifyTask, 'notify_no_deployment', input);

const receivers = useNotifyReceivers({ smtp: { credentials: { user: 'notifier', pass: 'smtp-Secret-123' } } });
let skip: Record<string, any>;
beforeAll(async () => {
  const logged = await runAsAirflow(logSkipTask, 'log_skip_decision', { outcome });
  expect(logged.code, problemsOf(logged)).toBe(EXIT_OK);
  skip = logged.output!;
});

describe('notify-no-deployment', () => {
  it('sends the failed criteria, the recommendations and the next training date', async () => {
    const result = await runWithLogin({ outcome, skip, channels: ['email', 'slack'] });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toEqual({ delivered: ['airflow', 'email', 'slack'] });

    expect(receivers.mail.logins).toEqual([{ username: 'notifier', password: 'smtp-Secret-123' }]);
    const [mail] = receivers.mail.messages;
    expect(mail!.subject).toBe('[WARNING] No deployment: candidate lr did not pass the quality gates');
    const failed = outcome.rules.filter((r) => r.passed === false).map((r) => r.name);
    expect(failed).toEqual(['performance', 'significance', 'staleness']);
    for (const name of failed) expect(mail!.text).toMatch(new RegExp(`Failed: ${name}:\\s+\\S`));
    expect(skip.recommendations.length).toBeGreaterThan(0);
    for (const [i, recommendation] of (skip.recommendations as string[]).entries()) {
      expect(mail!.text).toContain(`Recommendation ${i + 1}:`);
      expect(mail!.text).toContain(recommendation);
    }
    expect(mail!.text).toMatch(new RegExp(`Next training:\\s+${outcome.next_training_date}\\n`));
    expect(slackText(receivers.webhook)).toContain('No deployment: candidate lr did not pass the quality gates');
    expect(JSON.stringify(result.logs)).not.toContain('smtp-Secret-123');
  });

  it('fails without retries when the SMTP server refuses the login', async () => {
    const result = await runWithLogin({ outcome, skip, channels: ['email'] }, 'not-the-password');
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'NotificationRefusedError' });
    expect(result.failure!.error_message).toContain('Check SMTP_USER and SMTP_PASSWORD');
    expect(receivers.mail.messages).toHaveLength(0);
  });

  it('rejects a missing skip record as an input contract violation', async () => {
    const result = await run({ outcome, channels: ['log'] });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    expect(result.failure!.error_message).toContain('skip');
  });
});

/** Runs the task with SMTP credentials in its environment. */
async function runWithLogin(input: object, password = 'smtp-Secret-123') {
  vi.stubEnv('SMTP_USER', 'notifier');
  vi.stubEnv('SMTP_PASSWORD', password);
  try {
    return await run(input);
  } finally {
    vi.stubEnv('SMTP_USER', undefined);
    vi.stubEnv('SMTP_PASSWORD', undefined);
  }
}
