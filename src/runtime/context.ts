import type { Logger } from 'pino';
import { ENV } from './contract.ts';
import { SkipTask } from './errors.ts';

/** Who is running: the Airflow identifiers from the environment plus the script id. */
export interface RunInfo {
  readonly dagId: string | undefined;
  readonly taskId: string | undefined;
  readonly runId: string | undefined;
  /** 1 outside Airflow. */
  readonly tryNumber: number;
  readonly script: string;
}

/** The DAG and DAG run a task's records and messages name; 'manual' for each outside Airflow. */
export interface RunOrigin {
  readonly dagId: string;
  readonly runId: string;
}

const MANUAL_RUN = 'manual';

/** What `run(input, ctx)` receives besides its input. */
export interface TaskContext extends RunInfo {
  readonly log: Logger;
  readonly origin: RunOrigin;
  /** Ends the task as skipped (exit 99). */
  skip(reason: string): never;
}

export function readRunInfo(env: Record<string, string | undefined>, script: string): RunInfo {
  const rawTry = env[ENV.tryNumber];
  const tryNumber = rawTry !== undefined && /^\d+$/.test(rawTry) ? Number(rawTry) : 1;
  return { dagId: env[ENV.dagId], taskId: env[ENV.taskId], runId: env[ENV.runId], tryNumber, script };
}

export function createContext(info: RunInfo, log: Logger): TaskContext {
  return Object.freeze({
    ...info,
    log,
    origin: Object.freeze({ dagId: info.dagId ?? MANUAL_RUN, runId: info.runId ?? MANUAL_RUN }),
    skip(reason: string): never {
      throw new SkipTask(reason);
    },
  });
}
