/**
 * zod schemas for every option the DSL accepts. Objects are strict: an unknown key is an
 * error, so a misspelt `retires` never silently does nothing.
 */
import { z } from 'zod';
import { TRIGGER_RULES } from './spec.ts';

export const durationSchema = z
  .strictObject({
    days: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .refine((d) => Object.keys(d).length > 0, 'a duration needs at least one of days, hours, minutes, seconds');
export type Duration = z.input<typeof durationSchema>;

export function durationSeconds(duration: Duration): number {
  const { days = 0, hours = 0, minutes = 0, seconds = 0 } = duration;
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

export const SCHEDULE_PRESETS = ['@once', '@continuous', '@hourly', '@daily', '@weekly', '@monthly', '@quarterly', '@yearly'] as const;
const CRON_FIELD = /^[\d*/,\-?LW#A-Za-z]+$/;

export const scheduleSchema = z.union([
  z.null(),
  z.enum(SCHEDULE_PRESETS),
  z.string().refine((value) => {
    const fields = value.trim().split(/\s+/);
    return fields.length === 5 && fields.every((field) => CRON_FIELD.test(field));
  }, 'a cron schedule has five space-separated fields, e.g. "0 3 * * *" (or use a preset like "@daily")'),
  z.strictObject({ every: durationSchema }),
]);
export type Schedule = z.input<typeof scheduleSchema>;

/** Airflow ids as we allow them: ASCII letters, digits, `_` and `-` (dots are group separators). */
export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const MAX_ID_LENGTH = 250;
export const idSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(ID_PATTERN, 'ids may contain only ASCII letters, digits, "_" and "-"');
export const identifierSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier: a letter or "_" followed by letters, digits or "_"');

export const triggerRuleSchema = z.enum(TRIGGER_RULES);

export const defaultArgsSchema = z.strictObject({
  owner: z.string().min(1).optional(),
  retries: z.number().int().nonnegative().optional(),
  retryDelay: durationSchema.optional(),
  retryExponentialBackoff: z.boolean().optional(),
  maxRetryDelay: durationSchema.optional(),
  executionTimeout: durationSchema.optional(),
  email: z.array(z.string().email()).optional(),
  emailOnFailure: z.boolean().optional(),
  emailOnRetry: z.boolean().optional(),
  dependsOnPast: z.boolean().optional(),
});
export type DefaultArgs = z.input<typeof defaultArgsSchema>;

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'a Kubernetes quantity such as "500m", "1", "512Mi"');
const resourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
  limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
});
const envSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string());

export const runnerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('bash') }),
  z.strictObject({
    kind: z.literal('kubernetes'),
    image: z.string().min(1),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name'),
    tasksDir: z.string().startsWith('/', 'an absolute path inside the image').default('/opt/health-predict/dist/tasks'),
    resources: resourcesSchema.optional(),
    serviceAccountName: z.string().min(1).optional(),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    imagePullSecrets: z.array(z.string().min(1)).optional(),
    inCluster: z.boolean().optional(),
    configFile: z.string().min(1).optional(),
    startupTimeout: durationSchema.optional(),
    env: envSchema.optional(),
  }),
]);
export type Runner = z.input<typeof runnerSchema>;

export const dagOptionsSchema = z.strictObject({
  description: z.string().optional(),
  doc: z.string().optional(),
  schedule: scheduleSchema,
  startDate: z.iso.date().or(z.iso.datetime()),
  catchup: z.boolean().default(false),
  maxActiveRuns: z.number().int().positive().default(16),
  dagrunTimeout: durationSchema.optional(),
  tags: z.array(z.string().min(1).max(100)).default([]),
  owner: z.string().min(1).optional(),
  defaultArgs: defaultArgsSchema.default({}),
  profiles: z.record(identifierSchema, runnerSchema).default({ local: { kind: 'bash' } }),
});

export const taskCommonSchema = z.strictObject({
  id: idSchema.optional(),
  doc: z.string().optional(),
  triggerRule: triggerRuleSchema.optional(),
  retries: z.number().int().nonnegative().optional(),
  retryDelay: durationSchema.optional(),
  executionTimeout: durationSchema.optional(),
});

export const nodeTaskOptionsSchema = taskCommonSchema.extend({
  runner: runnerSchema.optional(),
  env: envSchema.optional(),
});

export const groupOptionsSchema = z.strictObject({ tooltip: z.string().optional() });
