/**
 * zod schemas for every option the DSL accepts. Objects are strict: an unknown key is an
 * error, so a misspelt `retires` never silently does nothing.
 */
import { z } from 'zod';
import { cronProblems } from './cron.ts';
import { closest, showValue } from './issues.ts';
import { BranchOutcome, type GroupHandle, type TaskHandle } from './refs.ts';
import { TRIGGER_RULES } from './spec.ts';

export const durationSchema = z
  .strictObject({
    days: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .refine((d) => Object.keys(d).length > 0, 'a duration needs at least one of days, hours, minutes, seconds, e.g. { minutes: 5 }');

/** Timeouts and intervals: Airflow reads a zero timedelta as "none" (timeouts) or refuses it (intervals). */
export const positiveDurationSchema = durationSchema.refine(
  (d) => Object.keys(d).length === 0 || durationSeconds(d) > 0,
  'it must be longer than zero (Airflow treats a zero timeout as no timeout and refuses a zero interval); write e.g. { minutes: 30 }, or leave the option out',
);
export type Duration = z.input<typeof durationSchema>;

export function durationSeconds(duration: Duration): number {
  const { days = 0, hours = 0, minutes = 0, seconds = 0 } = duration;
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

export const SCHEDULE_PRESETS = ['@once', '@continuous', '@hourly', '@daily', '@weekly', '@monthly', '@quarterly', '@yearly'] as const;
export type SchedulePreset = (typeof SCHEDULE_PRESETS)[number];
export type Schedule = null | SchedulePreset | (string & {}) | { every: Duration };
/** The presets that repeat on a timetable: what `scheduleEnv` may replace, and replace with. */
export const RECURRING_SCHEDULE_PRESETS = SCHEDULE_PRESETS.filter((preset) => preset !== '@once' && preset !== '@continuous');

/** Why `value` is not a schedule Airflow accepts (its presets, croniter's cron, a positive interval). */
function scheduleProblem(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (value === undefined) return "is required: null (manual runs only), a preset such as '@daily', a cron string such as '0 3 * * *', or { every: { hours: 6 } }";
  if (typeof value === 'string') {
    if (value.startsWith('@')) {
      if ((SCHEDULE_PRESETS as readonly string[]).includes(value)) return undefined;
      const guess = closest(value, SCHEDULE_PRESETS);
      return `is '${value}', which is not one of Airflow's presets (${SCHEDULE_PRESETS.join(', ')})${guess ? `. Did you mean '${guess}'?` : ''}`;
    }
    const problems = cronProblems(value);
    return problems.length ? `is '${value}', which Airflow's cron parser refuses: ${problems.join('; ')}` : undefined;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== 'every') return `is ${showValue(value)}; an interval schedule is { every: { hours: 6 } }`;
    const every = positiveDurationSchema.safeParse((value as { every: unknown }).every);
    return every.success ? undefined : `is ${showValue(value)}: 'every' must be a duration longer than zero, an object such as { hours: 6 } with any of days, hours, minutes, seconds`;
  }
  return `is ${showValue(value)}; use null, a preset such as '@daily', a cron string or { every: { hours: 6 } }`;
}

export const scheduleSchema = z.custom<Schedule>().superRefine((value, ctx) => {
  const problem = scheduleProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
});

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
  maxRetryDelay: positiveDurationSchema.optional(),
  executionTimeout: positiveDurationSchema.optional(),
  email: z.array(z.string().email()).optional(),
  emailOnFailure: z.boolean().optional(),
  emailOnRetry: z.boolean().optional(),
  dependsOnPast: z.boolean().optional(),
});
export type DefaultArgs = z.input<typeof defaultArgsSchema>;

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'a Kubernetes quantity such as "500m", "1" or "512Mi"');
const resourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
  limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
});
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envNameSchema = z.string().regex(ENV_NAME_PATTERN, 'an environment variable name');
const envSchema = z.record(envNameSchema, z.string());

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
    startupTimeout: positiveDurationSchema.optional(),
    env: envSchema.optional(),
    workerEnv: z.array(envNameSchema).optional(),
    secretEnv: z
      .strictObject({ secretName: z.string().regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'a Kubernetes Secret name'), names: z.array(envNameSchema).min(1) })
      .optional(),
    hostNetwork: z.boolean().optional(),
    dockerSocket: z
      .strictObject({ path: z.string().startsWith('/', 'an absolute path on the node'), group: z.number().int().nonnegative().optional() })
      .optional(),
  }).refine(
    (runner) => !runner.secretEnv?.names.some((name) => runner.workerEnv?.includes(name) || runner.env?.[name] !== undefined),
    'a secret (secretEnv) must not also be in env or workerEnv: a secret never comes from the worker or the DAG file',
  ),
]);
export type Runner = z.input<typeof runnerSchema>;

export const dagOptionsSchema = z.strictObject({
  description: z.string().optional(),
  doc: z.string().optional(),
  schedule: scheduleSchema,
  /** An environment variable that, set where Airflow parses the DAG file, replaces `schedule` (declaration-rules.ts). */
  scheduleEnv: z
    .string()
    .regex(ENV_NAME_PATTERN, 'an environment variable name: a letter or "_" followed by letters, digits or "_", e.g. \'HP_DRIFT_SCHEDULE\'')
    .optional(),
  startDate: z.string().refine((value) => z.iso.date().safeParse(value).success || z.iso.datetime().safeParse(value).success, "it must be 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ' (UTC), e.g. '2024-01-01'"),
  catchup: z.boolean().default(false),
  maxActiveRuns: z.number().int().positive().default(16),
  dagrunTimeout: positiveDurationSchema.optional(),
  tags: z.array(z.string().min(1).max(100)).default([]),
  owner: z.string().min(1).optional(),
  defaultArgs: defaultArgsSchema.default({}),
  profiles: z.record(identifierSchema, runnerSchema).default({ local: { kind: 'bash' } }),
});

const TASK_KINDS: readonly unknown[] = ['node', 'branch', 'empty', 'trigger'];
const isTaskHandle = (value: unknown): value is TaskHandle =>
  typeof value === 'object' && value !== null && TASK_KINDS.includes((value as TaskHandle).kind) && typeof (value as TaskHandle).id === 'string';

/** Why one entry of a task list is not a task, or undefined when it is one. */
function notATask(value: unknown): string | undefined {
  if (isTaskHandle(value)) return undefined;
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (kind === 'group') return `is task group '${(value as GroupHandle).id}'; list the tasks of the group that must have succeeded`;
  if (value instanceof BranchOutcome) return `is an outcome of branch '${value.branch.id}'; list the branch task itself or the tasks on that path`;
  return `is ${showValue(value)}, not a task; list what d.task(), d.branch(), d.empty() or d.trigger() returned`;
}

/** `skipUnlessSucceeded`: one or more distinct tasks (where they sit in the graph is the compiler's check). */
export const skipUnlessSucceededSchema = z.custom<readonly TaskHandle[]>().superRefine((value, ctx) => {
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `is ${showValue(value)}; it takes a list of tasks, e.g. skipUnlessSucceeded: [promote]`, input: value });
    return;
  }
  if (value.length === 0) ctx.addIssue({ code: 'custom', message: 'is an empty list; name at least one task, or leave the option out', input: value });
  value.forEach((entry: unknown, index) => {
    const problem = notATask(entry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [index], input: entry });
    else if (value.findIndex((other: unknown) => isTaskHandle(other) && other.id === (entry as TaskHandle).id) < index) {
      ctx.addIssue({ code: 'custom', message: `is task '${(entry as TaskHandle).id}' again; list each task once`, path: [index], input: entry });
    }
  });
});

export const taskCommonSchema = z.strictObject({
  id: idSchema.optional(),
  doc: z.string().optional(),
  triggerRule: triggerRuleSchema.optional(),
  skipUnlessSucceeded: skipUnlessSucceededSchema.optional(),
  retries: z.number().int().nonnegative().optional(),
  retryDelay: durationSchema.optional(),
  executionTimeout: positiveDurationSchema.optional(),
});

/** What a task's pod needs beyond its runner's; a bash runner ignores it (the worker has what it has). */
export const podNeedsSchema = z.strictObject({
  serviceAccountName: z.string().regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'a Kubernetes service account name').optional(),
  docker: z.boolean().optional(),
});
export type PodNeeds = z.input<typeof podNeedsSchema>;

export const nodeTaskOptionsSchema = taskCommonSchema.extend({
  runner: runnerSchema.optional(),
  pod: podNeedsSchema.optional(),
  env: envSchema.optional(),
});

export const triggerOptionsSchema = taskCommonSchema
  .extend({
    waitForCompletion: z.boolean().default(false),
    pokeInterval: positiveDurationSchema.optional(),
  })
  .superRefine((options, ctx) => {
    if (options.pokeInterval && !options.waitForCompletion) {
      ctx.addIssue({ code: 'custom', path: ['pokeInterval'], message: 'a trigger only polls while it waits for the run; set waitForCompletion: true, or leave pokeInterval out', input: options.pokeInterval });
    }
  });

export const groupOptionsSchema = z.strictObject({ tooltip: z.string().optional() });
