/**
 * The edges the DAG file declares (src/compiler/emit/edges.ts): an edge an input binding implied
 * is left out only where no task can end differently. Proven by settling runs (trigger-rules.ts)
 * over the IR's edges and over the emitted ones, for every outcome of every task, on random DAGs;
 * then the real pipeline's and the example's edges.
 */
import { describe, expect, it } from 'vitest';
import { compileDag } from '../../../src/compiler/index.ts';
import { emittedUpstream } from '../../../src/compiler/emit/edges.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { TRIGGER_RULES, type DagSpec, type TaskSpec, type TriggerRule } from '../../../src/dsl/spec.ts';
import { picker, randomInt, seededRandom, type Random } from '../../../src/runtime/random.ts';
import pipeline from '../../../src/pipeline/health-predict.dag.ts';
import example from '../../../examples/branching-example.dag.ts';
import { descendantsOf, everyAssignment, runOutcomes, settle, type FinalState, type RunOutcome } from './trigger-rules.ts';

type Upstream = ReadonlyMap<string, readonly string[]>;

interface Edge {
  readonly from: string;
  readonly to: string;
}

const upstreamOf = (spec: DagSpec): Upstream => new Map(spec.tasks.map((task) => [task.id, task.upstream]));

function droppedEdges(spec: DagSpec, emitted: Upstream = emittedUpstream(spec)): string[] {
  return spec.tasks.flatMap((task) => task.upstream.filter((up) => !emitted.get(task.id)!.includes(up)).map((up) => `${up} → ${task.id}`));
}

/** A task of a hand-made or random DAG; `implied` marks the upstreams only a binding put there. */
function task(id: string, fields: { upstream?: string[]; implied?: string[]; rule?: TriggerRule; kind?: 'node' | 'empty' | 'branch'; paths?: Record<string, string[]>; skipUnlessSucceeded?: string[] } = {}): TaskSpec {
  const base = {
    id,
    localId: id,
    upstream: fields.upstream ?? [],
    triggerRule: fields.rule ?? 'all_success',
    ...(fields.implied?.length ? { impliedUpstream: fields.implied } : {}),
    ...(fields.skipUnlessSucceeded ? { skipUnlessSucceeded: fields.skipUnlessSucceeded } : {}),
  };
  if (fields.kind === 'empty') return { ...base, kind: 'empty' };
  if (fields.kind === 'branch') return { ...base, kind: 'branch', on: { from: 'param', name: 'route' }, paths: fields.paths ?? {} };
  return { ...base, kind: 'node', script: id, inputSchema: {}, outputSchema: {}, bindings: {}, env: {} };
}

const specOf = (tasks: TaskSpec[]): DagSpec => ({
  dagId: 'edges',
  schedule: { kind: 'none' },
  startDate: '2024-01-01T00:00:00Z',
  catchup: false,
  maxActiveRuns: 1,
  tags: [],
  params: [],
  defaultArgs: {},
  profiles: {},
  groups: [],
  tasks,
});

const describeStates = (states: ReadonlyMap<string, FinalState>) => [...states].map(([id, state]) => `${id}=${state}`).join(' ');
const describeOutcomes = (outcomes: ReadonlyMap<string, RunOutcome>) => [...outcomes].map(([id, o]) => `${id}:${o.state}${'value' in o && o.value ? `(${o.value})` : ''}`).join(' ');

/** The first run (if any) in which some task ends differently over the two edge sets. */
function firstDifference(spec: DagSpec, reduced: Upstream): string | undefined {
  const full = upstreamOf(spec);
  for (const outcomes of everyAssignment(spec.tasks)) {
    const a = settle(spec.tasks, full, outcomes);
    const b = settle(spec.tasks, reduced, outcomes);
    if (spec.tasks.some((t) => a.get(t.id) !== b.get(t.id))) {
      return `outcomes ${describeOutcomes(outcomes)}\n  IR edges:      ${describeStates(a)}\n  emitted edges: ${describeStates(b)}`;
    }
  }
  return undefined;
}

const without = (spec: DagSpec, edge: Edge): Upstream =>
  new Map(spec.tasks.map((t) => [t.id, t.id === edge.to ? t.upstream.filter((up) => up !== edge.from) : t.upstream]));

const RULE = picker<TriggerRule>(TRIGGER_RULES, TRIGGER_RULES.map((rule) => (rule === 'all_success' ? 2 * TRIGGER_RULES.length : 1)));

/**
 * A random DAG of 4–7 tasks in index order: about two thirds of the rules all_success (the
 * others uniform), a branch or two with two outcomes over its direct downstreams, an EmptyOperator
 * now and then, each edge not from a branch implied with probability 0.6, and sometimes a
 * skipUnlessSucceeded on an ancestor.
 */
function randomDag(random: Random): DagSpec {
  const n = randomInt(random, 4, 7);
  const ids = Array.from({ length: n }, (_, i) => `t${i}`);
  let branches = 0;
  const kinds = ids.map((_, i) => {
    if (i < n - 1 && branches < 2 && random() < 0.2) {
      branches += 1;
      return 'branch' as const;
    }
    return random() < 0.1 ? ('empty' as const) : ('node' as const);
  });
  const upstream = ids.map((_, j) => ids.slice(0, j).filter(() => random() < 0.5));
  const implied = ids.map((_, j) => upstream[j]!.filter((up) => kinds[ids.indexOf(up)] !== 'branch' && random() < 0.6));
  const tasks = ids.map((id, i) => {
    const downstream = ids.filter((_, j) => upstream[j]!.includes(id));
    const paths: Record<string, string[]> = { a: [], b: [] };
    for (const d of downstream) {
      const where = randomInt(random, 0, 2);
      if (where !== 1) paths.a!.push(d);
      if (where !== 0) paths.b!.push(d);
    }
    const ancestors = ids.filter((other) => descendantsOf(other, new Map(ids.map((t, j) => [t, upstream[j]!]))).has(id));
    const guard = kinds[i] === 'node' && ancestors.length && random() < 0.15 ? [ancestors[randomInt(random, 0, ancestors.length - 1)]!] : undefined;
    return task(id, { upstream: upstream[i], implied: implied[i], rule: RULE(random), kind: kinds[i], paths, ...(guard ? { skipUnlessSucceeded: guard } : {}) });
  });
  return specOf(tasks);
}

describe('emitted edges settle every run as the IR edges do', () => {
  it('on 400 random DAGs, for every outcome of every task', () => {
    const random = seededRandom(20_261_207);
    let dropped = 0;
    let runs = 0;
    for (let i = 0; i < 400; i += 1) {
      const spec = randomDag(random);
      const reduced = emittedUpstream(spec);
      dropped += droppedEdges(spec, reduced).length;
      runs += spec.tasks.map(runOutcomes).reduce((product, outcomes) => product * outcomes.length, 1);
      const difference = firstDifference(spec, reduced);
      expect(difference, `DAG ${i}: ${JSON.stringify(spec.tasks.map((t) => [t.id, t.kind, t.triggerRule, t.upstream, t.impliedUpstream ?? []]))}\n${difference}`).toBeUndefined();
      for (const t of spec.tasks) {
        expect(descendantsOf(t.id, reduced), `reachability from ${t.id}`).toEqual(descendantsOf(t.id, upstreamOf(spec)));
        const written = t.upstream.filter((up) => !(t.impliedUpstream ?? []).includes(up));
        expect(reduced.get(t.id), `${t.id} keeps what was written`).toEqual(expect.arrayContaining(written));
      }
    }
    // The proof covers many drops and many runs, not a corpus where nothing is dropped.
    expect(dropped).toBeGreaterThan(150);
    expect(runs).toBeGreaterThan(200_000);
  });

  it('the comparison finds the runs that dropping every implied edge with another path would change', () => {
    const random = seededRandom(7);
    let broken = 0;
    for (let i = 0; i < 200; i += 1) {
      const spec = randomDag(random);
      const naive = new Map(
        spec.tasks.map((t) => [t.id, t.upstream.filter((up) => !(t.impliedUpstream ?? []).includes(up) || !descendantsOf(up, without(spec, { from: up, to: t.id })).has(t.id))]),
      );
      if (firstDifference(spec, naive)) broken += 1;
    }
    expect(broken).toBeGreaterThan(10);
  });
});

describe('each condition is needed: the edge stays, and dropping it would change a run', () => {
  const cases: { name: string; tasks: TaskSpec[]; edge: Edge }[] = [
    {
      name: 'a task on the path has another trigger rule (none_failed runs after a skipped u)',
      tasks: [task('u'), task('c', { upstream: ['u'], rule: 'none_failed' }), task('v', { upstream: ['c', 'u'], implied: ['u'] })],
      edge: { from: 'u', to: 'v' },
    },
    {
      name: 'v is not all_success (none_failed_min_one_success needs one success among its own upstreams)',
      tasks: [task('u'), task('c', { upstream: ['u'] }), task('v', { upstream: ['c', 'u'], implied: ['u'], rule: 'none_failed_min_one_success' })],
      edge: { from: 'u', to: 'v' },
    },
    {
      name: 'a task on the path is a direct downstream of another branch (which skips it although u failed)',
      tasks: [
        task('u'),
        task('b', { kind: 'branch', paths: { x: ['c'], y: ['d'] } }),
        task('c', { upstream: ['u', 'b'] }),
        task('d', { upstream: ['b'] }),
        task('v', { upstream: ['c', 'u'], implied: ['u'] }),
      ],
      edge: { from: 'u', to: 'v' },
    },
  ];
  for (const { name, tasks, edge } of cases) {
    it(name, () => {
      const spec = specOf(tasks);
      expect(emittedUpstream(spec).get(edge.to)).toContain(edge.from);
      expect(firstDifference(spec, without(spec, edge))).toBeDefined();
    });
  }

  it('an edge from a branch stays: its paths name direct downstreams', () => {
    const spec = specOf([
      task('u', { kind: 'branch', paths: { x: ['c', 'v'] } }),
      task('c', { upstream: ['u'] }),
      task('v', { upstream: ['c', 'u'], implied: ['u'] }),
    ]);
    expect(emittedUpstream(spec).get('v')).toEqual(['c', 'u']);
  });

  it('an edge the author wrote stays, however many paths order the two tasks', () => {
    const spec = specOf([task('u'), task('c', { upstream: ['u'] }), task('v', { upstream: ['c', 'u'] })]);
    expect(emittedUpstream(spec).get('v')).toEqual(['c', 'u']);
  });

  it('a path through the branch that follows the task carries it', () => {
    const spec = specOf([
      task('u'),
      task('b', { kind: 'branch', upstream: ['u'], paths: { x: ['c'], y: [] } }),
      task('c', { upstream: ['b'] }),
      task('v', { upstream: ['c', 'u'], implied: ['u'] }),
    ]);
    expect(emittedUpstream(spec).get('v')).toEqual(['c']);
    expect(firstDifference(spec, emittedUpstream(spec))).toBeUndefined();
  });
});

describe('the pipeline', () => {
  const spec = pipeline.spec;
  const emitted = emittedUpstream(spec);

  it('draws no edge for a binding another path already orders', () => {
    expect(droppedEdges(spec)).toEqual([
      'prepare_training_data → evaluate_model_performance',
      'prepare_training_data → compare_against_production',
      'compare_against_production → register_and_promote_model',
      'compare_against_production → test_api_locally',
      'prepare_training_data → test_api_locally',
      'deploy_to_kubernetes → post_deployment_health_check',
      'compare_against_production → log_skip_decision',
      'compare_against_production → notify_no_deployment',
    ]);
  });

  it("keeps the branch's edges, the failure handler's and the joins' upstreams, and every edge past a task with another rule", () => {
    expect(emitted.get('register_and_promote_model')).toEqual(['deployment_decision_branch']);
    expect(emitted.get('log_skip_decision')).toEqual(['deployment_decision_branch']);
    expect(emitted.get('rollback_deployment')).toEqual(['deploy_to_kubernetes', 'verify_deployment', 'post_deployment_health_check', 'register_and_promote_model']);
    expect(emitted.get('notify_deployment_success')).toEqual(['post_deployment_health_check', 'register_and_promote_model']);
    expect(emitted.get('push_to_ecr')).toEqual(['test_api_locally', 'build_api_image']);
    // push_to_ecr (none_failed_min_one_success) may succeed without the promotion: the edge stays.
    expect(emitted.get('deploy_to_kubernetes')).toEqual(['register_and_promote_model', 'push_to_ecr']);
    expect(emitted.get('notify_no_deployment')).toEqual(['log_skip_decision']);
    expect(emitted.get('end')).toEqual(['notify_deployment_success', 'notify_no_deployment']);
  });

  it('settles 20 000 random runs the same over both edge sets', () => {
    const random = seededRandom(12);
    const full = upstreamOf(spec);
    for (let i = 0; i < 20_000; i += 1) {
      const outcomes = new Map(spec.tasks.map((t) => {
        const choices = runOutcomes(t);
        // Mostly success, so runs reach deep into the deploy path.
        return [t.id, random() < 0.7 ? choices[0]! : choices[randomInt(random, 0, choices.length - 1)]!] as const;
      }));
      const a = settle(spec.tasks, full, outcomes);
      const b = settle(spec.tasks, emitted, outcomes);
      expect(describeStates(b), describeOutcomes(outcomes)).toBe(describeStates(a));
    }
  });

  it('still pulls the XCom of a task it no longer draws an edge from', () => {
    const python = compileDag(pipeline, { root: PROJECT_ROOT }).contents;
    expect(python).not.toContain('t_prepare_training_data >> t_test_api_locally');
    expect(python).toContain('t_build_api_image >> t_test_api_locally');
    const apiTest = python.slice(python.indexOf("task_id='test_api_locally'"));
    expect(apiTest.slice(0, apiTest.indexOf('\n    )\n'))).toContain("ti.xcom_pull(task_ids='prepare_training_data')");
  });
});

it('the example draws its branch paths without the batch edges', () => {
  expect(droppedEdges(example.spec)).toEqual(['prepare_batch → fast_path', 'prepare_batch → thorough_path', 'prepare_batch → report.summarise']);
});
