/**
 * A model of how Airflow 3 settles a DAG run, for comparing two edge sets of one DAG: each task
 * is decided once all its direct upstreams are final, by its trigger rule as
 * airflow/ti_deps/deps/trigger_rule_dep.py decides it (upstream_failed and skipped propagation
 * included); a branch that ran skips its direct downstreams outside the followed tasks and their
 * descendants (SkipMixin.skip_all_except); skipUnlessSucceeded skips a task its rule let run
 * unless the named tasks succeeded; an EmptyOperator that may run succeeds. What a task that
 * runs does is given: success (a branch: with a decision value), failed or skipped (exit 99).
 */
import type { TaskSpec, TriggerRule } from '../../../src/dsl/spec.ts';

export type FinalState = 'success' | 'failed' | 'skipped' | 'upstream_failed';

/** What a task does when it runs; `value` is a branch's decision (a key of its paths). */
export type RunOutcome = { readonly state: 'success'; readonly value?: string } | { readonly state: 'failed' | 'skipped' };

type Verdict = 'run' | 'skipped' | 'upstream_failed';

/** Airflow's verdict for a task whose direct upstreams are all final (a task without upstreams runs). */
export function verdict(rule: TriggerRule, upstream: readonly FinalState[]): Verdict {
  const n = upstream.length;
  if (n === 0) return 'run';
  const count = (state: FinalState) => upstream.filter((s) => s === state).length;
  const success = count('success');
  const skipped = count('skipped');
  const failures = count('failed') + count('upstream_failed');
  switch (rule) {
    case 'all_success':
      return failures ? 'upstream_failed' : skipped ? 'skipped' : 'run';
    case 'all_failed':
      return success || skipped ? 'skipped' : 'run';
    case 'all_done':
    case 'always':
      return 'run';
    case 'all_done_min_one_success':
      return skipped ? 'skipped' : success === 0 ? 'upstream_failed' : 'run';
    case 'all_skipped':
      return success || failures ? 'skipped' : 'run';
    case 'one_success':
      return skipped === n ? 'skipped' : success === 0 ? 'upstream_failed' : 'run';
    case 'one_done':
      return success || count('failed') ? 'run' : 'skipped';
    case 'one_failed':
      return failures ? 'run' : 'skipped';
    case 'none_failed':
      return failures ? 'upstream_failed' : 'run';
    case 'none_failed_min_one_success':
      return failures ? 'upstream_failed' : skipped === n ? 'skipped' : success === 0 ? 'upstream_failed' : 'run';
    case 'none_skipped':
      return skipped ? 'skipped' : 'run';
  }
}

function topologicalOrder(tasks: readonly TaskSpec[], upstream: ReadonlyMap<string, readonly string[]>): TaskSpec[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const order: TaskSpec[] = [];
  const seen = new Set<string>();
  const visit = (task: TaskSpec) => {
    if (seen.has(task.id)) return;
    seen.add(task.id);
    for (const up of upstream.get(task.id) ?? []) visit(byId.get(up)!);
    order.push(task);
  };
  tasks.forEach(visit);
  return order;
}

/** Every task reachable downstream of `start` (excluded). */
export function descendantsOf(start: string, upstream: ReadonlyMap<string, readonly string[]>): Set<string> {
  const found = new Set<string>();
  const grow = (id: string) => {
    for (const [task, ups] of upstream) {
      if (ups.includes(id) && !found.has(task)) {
        found.add(task);
        grow(task);
      }
    }
  };
  grow(start);
  return found;
}

/** The final state of every task of one run over the edges `upstream`, tasks doing `outcomes` when they run. */
export function settle(tasks: readonly TaskSpec[], upstream: ReadonlyMap<string, readonly string[]>, outcomes: ReadonlyMap<string, RunOutcome>): Map<string, FinalState> {
  const states = new Map<string, FinalState>();
  /** Per branch that ran: the direct downstreams it leaves alone (followed, or below a followed task). */
  const spared = new Map<string, Set<string>>();
  for (const task of topologicalOrder(tasks, upstream)) {
    const ups = upstream.get(task.id) ?? [];
    const skippedByBranch = ups.some((up) => spared.has(up) && !spared.get(up)!.has(task.id));
    const decided = skippedByBranch ? 'skipped' : verdict(task.triggerRule, ups.map((up) => states.get(up)!));
    if (decided !== 'run') {
      states.set(task.id, decided);
      continue;
    }
    if (task.skipUnlessSucceeded?.some((id) => states.get(id) !== 'success')) {
      states.set(task.id, 'skipped');
      continue;
    }
    const outcome: RunOutcome = task.kind === 'empty' ? { state: 'success' } : outcomes.get(task.id)!;
    states.set(task.id, outcome.state);
    if (task.kind === 'branch' && outcome.state === 'success') {
      const followed = new Set(outcome.value === undefined ? [] : (task.paths[outcome.value] ?? []));
      for (const id of [...followed]) for (const below of descendantsOf(id, upstream)) followed.add(below);
      spared.set(task.id, followed);
    }
  }
  return states;
}

/** Every way a task can end when it runs: a node task succeeds, fails or skips; a branch fails, skips or decides one of its values. */
export function runOutcomes(task: TaskSpec): RunOutcome[] {
  if (task.kind === 'empty') return [{ state: 'success' }];
  const successes: RunOutcome[] = task.kind === 'branch' ? Object.keys(task.paths).map((value) => ({ state: 'success', value })) : [{ state: 'success' }];
  return [...(successes.length ? successes : [{ state: 'success' as const }]), { state: 'failed' }, { state: 'skipped' }];
}

/** Every assignment of run outcomes to `tasks` (the product of their runOutcomes). */
export function* everyAssignment(tasks: readonly TaskSpec[]): Generator<Map<string, RunOutcome>> {
  const choices = tasks.map(runOutcomes);
  const index = tasks.map(() => 0);
  for (;;) {
    yield new Map(tasks.map((task, i) => [task.id, choices[i]![index[i]!]!]));
    let digit = 0;
    while (digit < index.length && ++index[digit]! === choices[digit]!.length) index[digit++] = 0;
    if (digit === index.length) return;
  }
}
