/** `task run <dag_id> <task_id> --input JSON`: runs one task script outside Airflow, as Airflow would. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Dag } from '../../dsl/index.ts';
import { ENV } from '../../runtime/contract.ts';
import { HealthPredictError } from '../../runtime/errors.ts';
import { bundleTask } from '../bundle.ts';
import { TASK_BUNDLE_DIR, taskScripts } from '../project.ts';

export class TaskRunError extends HealthPredictError {}

export interface TaskRunOptions {
  readonly root: string;
  readonly dag: Dag;
  readonly taskId: string;
  readonly input: unknown;
  readonly tryNumber?: number;
}

/** Bundles the task's script and runs it; resolves with the script's exit code. */
export async function runTaskScript(options: TaskRunOptions): Promise<number> {
  const task = options.dag.spec.tasks.find((t) => t.id === options.taskId);
  if (!task) {
    const ids = options.dag.spec.tasks.filter((t) => t.kind === 'node').map((t) => t.id);
    throw new TaskRunError(`DAG '${options.dag.dagId}' has no task '${options.taskId}'. Node tasks: ${ids.join(', ') || 'none'}.`);
  }
  if (task.kind !== 'node') throw new TaskRunError(`Task '${task.id}' is a ${task.kind} task; only Node tasks run a script.`);
  const source = taskScripts(options.root).get(task.script);
  if (!source) throw new TaskRunError(`Task '${task.id}' runs script '${task.script}', which has no source file in the task folders.`);
  const outDir = path.join(options.root, TASK_BUNDLE_DIR);
  const bundle = await bundleTask(task.script, source, outDir);
  const child = spawn(process.execPath, ['--enable-source-maps', bundle.file], {
    stdio: 'inherit',
    env: {
      ...process.env,
      [ENV.dagId]: options.dag.dagId,
      [ENV.taskId]: task.id,
      [ENV.runId]: `manual__${new Date().toISOString()}`,
      [ENV.tryNumber]: String(options.tryNumber ?? 1),
      [ENV.input]: JSON.stringify(options.input),
    },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
