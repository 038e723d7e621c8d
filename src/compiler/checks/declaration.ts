/** What the DSL found while the DAG was declared (options, params), and DAG-level Airflow rules. */
import type { Check } from './context.ts';

export const checkDeclaration: Check = ({ spec, byId, report }) => {
  for (const problem of spec.problems ?? []) {
    report(problem.about === 'param' ? 'invalid-param' : 'invalid-option', problem.message, problem.taskId ? byId.get(problem.taskId) : undefined, problem.source, problem.optionPath);
  }
};

/** Airflow loads a DAG without tasks, but every run of it does nothing: almost always a mistake. */
export const checkNotEmpty: Check = ({ spec, report }) => {
  if (spec.tasks.length === 0) {
    report('empty-dag', `DAG '${spec.dagId}' declares no tasks, so every run would do nothing. Declare at least one task in its callback (d.task, d.branch, d.empty).`);
  }
};
