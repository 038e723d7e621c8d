/** Ids, references and acyclicity. */
import { ID_PATTERN, MAX_ID_LENGTH } from '../../dsl/options.ts';
import { nonAscii } from '../../dsl/issues.ts';
import type { Check } from './context.ts';

/** "; it contains 'е' (U+0435)" when non-ASCII look-alikes explain why an id that reads fine is refused. */
const lookAlikes = (id: string): string => (nonAscii(id) ? `; it contains the non-ASCII character ${nonAscii(id)}` : '');

export const checkIds: Check = ({ spec, report }) => {
  const fullId = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
  if (!ID_PATTERN.test(spec.dagId) || spec.dagId.length > MAX_ID_LENGTH) {
    report('invalid-id', `DAG id '${spec.dagId}' breaks Airflow's id rule: 1–${MAX_ID_LENGTH} ASCII letters, digits, "_" or "-"${lookAlikes(spec.dagId)}. Rename it.`);
  }
  for (const item of [...spec.groups, ...spec.tasks]) {
    const what = 'kind' in item ? 'Task' : 'Task group';
    if (!ID_PATTERN.test(item.localId) || !fullId.test(item.id)) {
      report('invalid-id', `${what} id '${item.id}' breaks Airflow's id rule: only ASCII letters, digits, "_" and "-" (dots separate groups)${lookAlikes(item.localId)}. Rename it.`, undefined, item.source);
    } else if (item.id.length > MAX_ID_LENGTH) {
      report('invalid-id', `${what} id '${item.id}' is ${item.id.length} characters with its group prefix; Airflow allows ${MAX_ID_LENGTH}. Shorten it or its group ids.`, undefined, item.source);
    }
  }
};

export const checkDuplicates: Check = ({ spec, report }) => {
  const seen = new Map<string, string>();
  for (const item of [...spec.groups, ...spec.tasks]) {
    const what = 'kind' in item ? 'task' : 'task group';
    const earlier = seen.get(item.id);
    if (earlier) {
      report('duplicate-id', `The ${what} id '${item.id}' is already used by a ${earlier} in DAG '${spec.dagId}'; ids must be unique after group prefixing. Give one of them another id.`, undefined, item.source);
    } else {
      seen.set(item.id, what);
    }
  }
};

export const checkReferences: Check = ({ spec, byId, report }) => {
  const groups = new Set(spec.groups.map((group) => group.id));
  for (const task of spec.tasks) {
    for (const up of task.upstream) {
      if (!byId.has(up)) report('dangling-reference', `Task '${task.id}' depends on '${up}', which is not a task of DAG '${spec.dagId}'. Declare it in this DAG or drop the dependency.`, task);
    }
    if (task.group && !groups.has(task.group)) report('dangling-reference', `Task '${task.id}' belongs to task group '${task.group}', which DAG '${spec.dagId}' does not declare.`, task);
  }
};

export const checkCycles: Check = ({ spec, byId, report }) => {
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(id)), id].reverse(); // visited upstream-first; show flow order
      const key = [...new Set(cycle)].sort().join(',');
      if (!reported.has(key)) {
        reported.add(key);
        report('cycle', `Tasks form a cycle: ${cycle.map((t) => `'${t}'`).join(' → ')}. Airflow DAGs must be acyclic; remove one of these dependencies.`, byId.get(id));
      }
      return;
    }
    state.set(id, 'visiting');
    for (const up of byId.get(id)?.upstream ?? []) if (byId.has(up)) visit(up, [...trail, id]);
    state.set(id, 'done');
  };
  for (const task of spec.tasks) visit(task.id, []);
};
