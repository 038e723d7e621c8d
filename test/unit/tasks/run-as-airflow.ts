/**
 * Runs a task script in-process the way Airflow runs its bundle (HP_* identity, HP_INPUT in,
 * last stdout line out) and reads back what a test of its glue looks at.
 */
import { EXIT_OK } from '../../../src/runtime/index.ts';
import { runInMemory } from '../runtime/helpers.ts';

export const DAG_ID = 'health_predict_continuous_improvement';

export interface TaskRun {
  code: number;
  stdout: string[];
  logs: Record<string, unknown>[];
  /** The parsed XCom when the task succeeded. */
  output: Record<string, any> | undefined;
  /** The "not retrying" error entry of a non-retryable failure. */
  failure: { error_name: string; error_message: string } | undefined;
  /** The reason of a skip (exit 99). */
  skipReason: string | undefined;
}

export async function runAsAirflow(task: Parameters<typeof runInMemory>[0], taskId: string, input: unknown, options: { runId?: string; tryNumber?: number } = {}): Promise<TaskRun> {
  const { code, stdout, logs } = await runInMemory(task, {
    HP_DAG_ID: DAG_ID,
    HP_TASK_ID: taskId,
    HP_RUN_ID: options.runId ?? 'manual__tasks-test',
    HP_TRY_NUMBER: String(options.tryNumber ?? 1),
    HP_INPUT: JSON.stringify(input),
  });
  const failure = logs.find((l) => l.level === 'error' && 'error_name' in l) as TaskRun['failure'];
  const skipped = logs.find((l) => l.msg === 'task skipped') as { reason: string } | undefined;
  return { code, stdout, logs, output: code === EXIT_OK ? JSON.parse(stdout.at(-1)!) : undefined, failure, skipReason: skipped?.reason };
}

/** The error and warning lines of a run, for an assertion message. */
export const problemsOf = (run: TaskRun) => JSON.stringify(run.logs.filter((l) => l.level === 'error' || l.level === 'warn'));
