/**
 * Branch rules. Joins and unreachable tasks are found by simulating, per outcome, what
 * Airflow's SkipMixin, trigger rules and `skipUnlessSucceeded` do when every task succeeds.
 */
import type { BranchTaskSpec, TaskSpec, TriggerRule } from '../../dsl/spec.ts';
import { descendants, quoteList, type Check, type CheckContext } from './context.ts';

type State = 'success' | 'skipped';

/** Trigger rules that skip a task as soon as one upstream is skipped. */
const SKIPS_ON_ANY_SKIP: ReadonlySet<TriggerRule> = new Set(['all_success', 'none_skipped']);

/** Rules meant for failure handling: never running in an all-success simulation is expected. */
const FAILURE_HANDLERS: ReadonlySet<TriggerRule> = new Set(['all_failed', 'one_failed']);

function ruleOutcome(rule: TriggerRule, upstream: readonly State[]): State {
  const successes = upstream.filter((s) => s === 'success').length;
  const skips = upstream.length - successes;
  if (upstream.length === 0) return 'success';
  switch (rule) {
    case 'all_success':
    case 'none_skipped':
      return skips > 0 ? 'skipped' : 'success';
    case 'all_skipped':
      return skips === upstream.length ? 'success' : 'skipped';
    case 'one_success':
    case 'none_failed_min_one_success':
    case 'all_done_min_one_success':
      return successes > 0 ? 'success' : 'skipped';
    case 'all_failed':
    case 'one_failed':
      return 'skipped';
    case 'none_failed':
    case 'all_done':
    case 'one_done':
    case 'always':
      return 'success';
  }
}

function topologicalOrder(context: CheckContext): TaskSpec[] {
  const order: TaskSpec[] = [];
  const seen = new Set<string>();
  const visit = (task: TaskSpec, stack: Set<string>) => {
    if (seen.has(task.id) || stack.has(task.id)) return;
    stack.add(task.id);
    for (const up of task.upstream) {
      const upstream = context.byId.get(up);
      if (upstream) visit(upstream, stack);
    }
    seen.add(task.id);
    order.push(task);
  };
  for (const task of context.spec.tasks) visit(task, new Set());
  return order;
}

/** States of all tasks when `branch` follows `chosen` and everything else succeeds. */
function simulate(context: CheckContext, order: readonly TaskSpec[], branch: BranchTaskSpec, chosen: readonly string[]): Map<string, State> {
  const states = new Map<string, State>();
  const direct = new Set(context.downstream.get(branch.id) ?? []);
  // SkipMixin keeps a direct downstream task that is also downstream of a followed task.
  const followed = new Set(chosen);
  for (const id of chosen) for (const d of descendants(context, id)) followed.add(d);
  for (const task of order) {
    if (direct.has(task.id) && !followed.has(task.id)) {
      states.set(task.id, 'skipped');
      continue;
    }
    const upstream = task.upstream.filter((id) => context.byId.has(id)).map((id) => states.get(id) ?? 'success');
    const unmet = task.skipUnlessSucceeded?.some((id) => states.get(id) === 'skipped');
    states.set(task.id, unmet ? 'skipped' : ruleOutcome(task.triggerRule, upstream));
  }
  return states;
}

export const checkBranchTargets: Check = (context) => {
  for (const branch of context.spec.tasks) {
    if (branch.kind !== 'branch') continue;
    const direct = new Set(context.downstream.get(branch.id) ?? []);
    for (const [value, targets] of Object.entries(branch.paths)) {
      for (const target of targets) {
        if (!direct.has(target)) {
          context.report(
            'branch-target-not-downstream',
            `Branch '${branch.id}' follows '${target}' for outcome '${value}', but '${target}' is not directly downstream of it; Airflow would silently skip everything. Make '${target}' depend on the branch (after: [${branch.localId}.when('${value}')]).`,
            branch,
          );
        }
      }
    }
    for (const target of direct) {
      if (!Object.values(branch.paths).some((targets) => targets.includes(target))) {
        const task = context.byId.get(target);
        context.report(
          'unreachable-task',
          `Task '${target}' is directly downstream of branch '${branch.id}' but no outcome follows it, so it is always skipped. Depend on an outcome instead: after: [${branch.localId}.when(…)].`,
          task,
        );
      }
    }
    if (branch.choices) {
      const unmapped = branch.choices.filter((choice) => !(choice in branch.paths));
      if (unmapped.length) {
        context.report('branch-outcome-unmapped', `Branch '${branch.id}' has no path for outcome ${quoteList(unmapped)}; the run would fail when the decision takes that value. Add a task with after: [${branch.localId}.when(${unmapped.map((v) => `'${v}'`).join(', ')})].`, branch);
      }
      const impossible = Object.keys(branch.paths).filter((value) => !branch.choices!.includes(value));
      if (impossible.length) {
        context.report('branch-outcome-impossible', `Branch '${branch.id}' maps outcome ${quoteList(impossible)}, which its decision can never take (it is one of ${quoteList(branch.choices)}).`, branch);
      }
    }
  }
};

/**
 * A task that follows some outcomes of a branch and also waits for other upstream tasks: when
 * those are skipped for every outcome it follows, it never runs when it should (SkipMixin may
 * still run it for another outcome, which hides the mistake in a green run).
 */
function reportSkippedForOwnOutcomes(context: CheckContext, branch: BranchTaskSpec, statesByOutcome: ReadonlyMap<string, ReadonlyMap<string, State>>, reported: Set<string>): void {
  for (const id of new Set(Object.values(branch.paths).flat())) {
    const task = context.byId.get(id);
    if (!task || reported.has(id) || FAILURE_HANDLERS.has(task.triggerRule) || task.upstream.length < 2) continue;
    const own = Object.entries(branch.paths).filter(([, targets]) => targets.includes(id)).map(([value]) => value);
    if (!own.every((value) => statesByOutcome.get(value)?.get(id) === 'skipped')) continue;
    const blockers = [...new Set(own.flatMap((value) => task.upstream.filter((up) => up !== branch.id && statesByOutcome.get(value)?.get(up) === 'skipped')))];
    if (!blockers.length) continue;
    reported.add(id);
    const outcomes = own.length === 1 ? `outcome '${own[0]}'` : `outcomes ${quoteList(own)}`;
    context.report(
      'unreachable-task',
      `Task '${id}' follows ${outcomes} of branch '${branch.id}', but for ${own.length === 1 ? 'that outcome' : 'those outcomes'} its upstream ${quoteList(blockers)} is skipped, so with trigger rule '${task.triggerRule}' it never runs when it should. Drop the dependency on ${quoteList(blockers)}, or follow the outcomes they run for.`,
      task,
    );
  }
}

export const checkJoinsAndReachability: Check = (context) => {
  const order = topologicalOrder(context);
  const reported = new Set<string>();
  for (const branch of context.spec.tasks) {
    if (branch.kind !== 'branch') continue;
    const outcomes = Object.entries(branch.paths);
    if (!outcomes.length) continue;
    const inBranch = descendants(context, branch.id);
    const skippedEverywhere = new Set(inBranch);
    const statesByOutcome = new Map<string, Map<string, State>>();
    for (const [value, targets] of outcomes) {
      const states = simulate(context, order, branch, targets);
      statesByOutcome.set(value, states);
      for (const id of inBranch) {
        if (states.get(id) !== 'skipped') {
          skippedEverywhere.delete(id);
          continue;
        }
        const task = context.byId.get(id)!;
        const ranUpstream = task.upstream.filter((up) => inBranch.has(up) && states.get(up) === 'success');
        const skippedUpstream = task.upstream.filter((up) => states.get(up) === 'skipped');
        if (SKIPS_ON_ANY_SKIP.has(task.triggerRule) && ranUpstream.length && skippedUpstream.length && !reported.has(id)) {
          reported.add(id);
          context.report(
            'join-trigger-rule',
            `Task '${id}' joins the paths of branch '${branch.id}' but has trigger rule '${task.triggerRule}': for outcome '${value}' its upstream ${quoteList(skippedUpstream)} is skipped, so it would be skipped although ${quoteList(ranUpstream)} ran. Give it triggerRule: 'none_failed_min_one_success'.`,
            task,
          );
        }
      }
    }
    reportSkippedForOwnOutcomes(context, branch, statesByOutcome, reported);
    for (const id of skippedEverywhere) {
      if (reported.has(id) || FAILURE_HANDLERS.has(context.byId.get(id)!.triggerRule)) continue;
      const direct = context.downstream.get(branch.id) ?? [];
      if (direct.includes(id) && !Object.values(branch.paths).some((t) => t.includes(id))) continue; // reported by checkBranchTargets
      reported.add(id);
      context.report('unreachable-task', `Task '${id}' is skipped for every outcome of branch '${branch.id}' (${quoteList(Object.keys(branch.paths))}), so it can never run. Check its upstream tasks and trigger rule.`, context.byId.get(id));
    }
  }
};
