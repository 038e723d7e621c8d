/** Turns validated DSL options (durations, runner options) into their IR form. */
import type { z } from 'zod';
import { durationSeconds, type runnerSchema, type defaultArgsSchema, type Duration } from './options.ts';
import type { DefaultArgsSpec, RunnerSpec } from './spec.ts';

export const seconds = (duration: Duration | undefined): number | undefined =>
  duration === undefined ? undefined : durationSeconds(duration);

/** Drops keys whose value is undefined, so the IR (and its JSON) holds only what was said. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function normaliseRunner(runner: z.output<typeof runnerSchema>): RunnerSpec {
  if (runner.kind === 'bash') return { kind: 'bash' };
  const { startupTimeout, ...rest } = runner;
  return compact({ ...rest, startupTimeoutSeconds: seconds(startupTimeout) });
}

export function normaliseDefaultArgs(args: z.output<typeof defaultArgsSchema>, owner: string | undefined): DefaultArgsSpec {
  return compact({
    owner: args.owner ?? owner,
    retries: args.retries,
    retryDelaySeconds: seconds(args.retryDelay),
    retryExponentialBackoff: args.retryExponentialBackoff,
    maxRetryDelaySeconds: seconds(args.maxRetryDelay),
    executionTimeoutSeconds: seconds(args.executionTimeout),
    email: args.email,
    emailOnFailure: args.emailOnFailure,
    emailOnRetry: args.emailOnRetry,
    dependsOnPast: args.dependsOnPast,
  });
}
