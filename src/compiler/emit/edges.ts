/**
 * Which upstream edges the DAG file declares: every edge the author wrote (`after:`, groups,
 * branch outcomes, a branch's `on` source), and an edge an input binding implied only where
 * dropping it changes nothing Airflow does. So the graph shows what the author wrote, not one
 * line per XCom read.
 *
 * An implied edge u → v is dropped when
 *   (1) v's trigger rule is all_success,
 *   (2) u is not a branch (a BranchPythonOperator skips among its direct downstreams: its edges
 *       carry the decision), and
 *   (3) the edges still kept hold a path u → c1 → … → ck → v (k ≥ 1) whose every carrier ci has
 *       trigger rule all_success and no branch directly upstream other than its predecessor on
 *       the path.
 *
 * Why v ends in the same state. Airflow settles an all_success task from its direct upstreams:
 * upstream_failed if one failed or is upstream_failed, else skipped if one is skipped, else it
 * runs. By induction along the path, each carrier ci:
 *   - succeeds only if it ran, so only if its predecessor, and so u, succeeded;
 *   - is upstream_failed when u failed or is upstream_failed (an all_success task never runs
 *     then, and no branch can overwrite it with skipped: the only branch allowed directly above
 *     ci is its predecessor, which did not run);
 *   - is skipped or upstream_failed when u is skipped.
 * So ck, already an upstream of v, brings v's rule the same verdict u would: nothing when u
 * succeeded, a failure when u failed, a skip or a failure when u was skipped. v's state is the
 * same with or without u → v, and so is every other task's, whose upstreams did not change.
 * Reachability does not change either, so SkipMixin (which keeps a branch's direct downstream
 * when it lies below a followed task), skipUnlessSucceeded (needs its tasks upstream) and the
 * DAG run's leaves (u keeps a downstream) behave as before; v still reads u's XCom by task id,
 * which exists whenever v runs because u succeeded. Each edge is checked against the edges
 * still kept, so every drop is justified by the graph that remains.
 *
 * The argument is about settled states. Airflow decides an all_success task on the first failed
 * or skipped upstream it sees, so when a skip and a failure both reach v, whichever it sees
 * first wins, in either graph (the path may deliver u's skip later than the direct edge did).
 * test/unit/compiler/edges.test.ts checks the equivalence on every outcome of random DAGs with
 * every trigger rule.
 */
import type { DagSpec, TaskSpec } from '../../dsl/spec.ts';

/** Each task's direct upstream ids as the DAG file declares them, in IR order. */
export function emittedUpstream(spec: DagSpec): ReadonlyMap<string, readonly string[]> {
  const byId = new Map(spec.tasks.map((task) => [task.id, task]));
  const kept = new Map<string, readonly string[]>(spec.tasks.map((task) => [task.id, task.upstream]));
  for (const task of spec.tasks) {
    if (task.triggerRule !== 'all_success') continue;
    for (const up of task.impliedUpstream ?? []) {
      if (byId.get(up)?.kind === 'branch') continue;
      const others = kept.get(task.id)!.filter((id) => id !== up);
      if (others.some((carrier) => carriesFrom(up, carrier, byId, kept, new Map()))) kept.set(task.id, others);
    }
  }
  return kept;
}

/** The edges the DAG file declares, upstream → downstream, in IR order. */
export function emittedEdges(spec: DagSpec): { readonly upstream: string; readonly downstream: string }[] {
  const upstream = emittedUpstream(spec);
  return spec.tasks.flatMap((task) => upstream.get(task.id)!.map((up) => ({ upstream: up, downstream: task.id })));
}

/** Whether `id` is a carrier on some path from `source` that ends at `id` (see the header). */
function carriesFrom(
  source: string,
  id: string,
  byId: ReadonlyMap<string, TaskSpec>,
  kept: ReadonlyMap<string, readonly string[]>,
  memo: Map<string, boolean>,
): boolean {
  const known = memo.get(id);
  if (known !== undefined) return known;
  memo.set(id, false); // the graph is acyclic (validated); this only guards the recursion
  const task = byId.get(id);
  let result = false;
  if (task && task.triggerRule === 'all_success') {
    const upstream = kept.get(id) ?? [];
    const branches = upstream.filter((up) => byId.get(up)?.kind === 'branch');
    const predecessors = branches.length > 1 ? [] : branches.length === 1 ? branches : upstream;
    result = predecessors.some((up) => up === source || carriesFrom(source, up, byId, kept, memo));
  }
  memo.set(id, result);
  return result;
}
