import { z } from 'zod';
import { gateOutcomeSchema, skipRecordSchema } from '../pipeline/contract/gates.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * The skip path: writes the comparison, every criterion's verdict and what would change the
 * outcome into the task log, and returns them for the notification.
 */
export default defineTask({
  id: 'log-skip-decision',
  description: 'Why the candidate was not deployed: each criterion, recommendations, next training date.',
  input: z.object({ outcome: gateOutcomeSchema }),
  output: skipRecordSchema,
  run: ({ outcome }, ctx) => {
    const verdicts = outcome.rules.map((rule) => `${rule.passed === null ? 'n/a ' : rule.passed ? 'PASS' : 'FAIL'} ${rule.name}: ${rule.detail}`);
    ctx.log.info({ candidate: outcome.candidate, production: outcome.production, delta_f1: outcome.delta_f1, mcnemar_p_value: outcome.mcnemar_p_value }, 'comparison');
    for (const verdict of verdicts) ctx.log.info(verdict);
    for (const recommendation of outcome.recommendations) ctx.log.info({ recommendation }, 'recommendation');
    ctx.log.info({ next_training_date: outcome.next_training_date, decision_run_id: outcome.decision_run_id }, outcome.summary);
    return { decision: 'SKIP' as const, summary: outcome.summary, verdicts, recommendations: outcome.recommendations, next_training_date: outcome.next_training_date };
  },
});
