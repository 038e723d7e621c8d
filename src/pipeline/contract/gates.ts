/**
 * Contract of the quality gates: the comparison's outcome (what the branch, the promotion, the
 * skip log and the notifications read), the skip record, and each gate setting's single
 * definition (env var, range, default), which the env schema and the DAG params are built from.
 */
import { z } from 'zod';
import { GATE_SETTINGS, type GateConfigKey, gateSettingSchema } from '../../gates/config.ts';
import { gateOutcomeSchema, type GateOutcome } from '../../gates/outcome.ts';

export { GATE_SETTINGS, gateOutcomeSchema, gateSettingSchema, type GateConfigKey, type GateOutcome };

/** `log_skip_decision`: why the candidate was not deployed. */
export const skipRecordSchema = z.object({
  decision: z.literal('SKIP'),
  summary: z.string(),
  verdicts: z.array(z.string()),
  recommendations: z.array(z.string()),
  next_training_date: z.string(),
});
export type SkipRecord = z.infer<typeof skipRecordSchema>;
