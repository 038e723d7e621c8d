/**
 * `skipUnlessSucceeded`: the tasks it names must be upstream of the guarded task, so their
 * states are final when it is about to run; and the guarded task must really run.
 */
import type { TaskSpec } from '../../dsl/spec.ts';
import { ancestors, type Check, type CheckContext } from './context.ts';

const OPTION = 'skipUnlessSucceeded';

function checkTask(context: CheckContext, task: TaskSpec, named: readonly string[]): void {
  const report = (message: string, index?: number) =>
    context.report('skip-unless-succeeded', message, task, undefined, index === undefined ? [OPTION] : [OPTION, index]);
  if (task.kind === 'empty') {
    report(`Task '${task.id}' is an EmptyOperator, which Airflow marks success without running, so ${OPTION} would never be checked. Use it on a d.task() or d.branch(), or drop it.`);
    return;
  }
  if (named.length === 0) report(`Task '${task.id}' has an empty ${OPTION} list. Name at least one task, or leave the option out.`);
  const upstream = ancestors(context, task.id);
  named.forEach((id, index) => {
    if (named.indexOf(id) < index) {
      report(`Task '${task.id}' lists '${id}' in ${OPTION} twice. List each task once.`, index);
    } else if (id === task.id) {
      report(`Task '${task.id}' lists itself in ${OPTION}; its own state is not final while it runs. List the upstream tasks whose success it needs.`, index);
    } else if (!context.byId.has(id)) {
      context.report('dangling-reference', `Task '${task.id}' lists '${id}' in ${OPTION}, which is not a task of DAG '${context.spec.dagId}'. Declare it in this DAG or drop it from the list.`, task, undefined, [OPTION, index]);
    } else if (!upstream.has(id)) {
      report(
        `Task '${task.id}' lists '${id}' in ${OPTION}, but '${id}' is not upstream of it, so its state may not be final when '${task.id}' is about to run. Make '${task.id}' depend on it (after: [${context.byId.get(id)!.localId}]) or drop it from the list.`,
        index,
      );
    }
  });
}

export const checkSkipConditions: Check = (context) => {
  for (const task of context.spec.tasks) if (task.skipUnlessSucceeded) checkTask(context, task, task.skipUnlessSucceeded);
};
