/**
 * Records → IR. Expands group dependencies to task-level edges (exactly what Airflow does
 * for `group >> task`), turns input bindings into edges (marked implied unless the author also
 * wrote them), and collects branch paths.
 */
import { z } from 'zod';
import type { InputBinding, SourceLocation } from '../runtime/index.ts';
import type { DagState, FailureHandlerRecord, ParamDeclaration } from './dag.ts';
import { DagDefinitionError } from './errors.ts';
import { compact, normaliseDefaultArgs, normaliseRunner, seconds } from './normalise.ts';
import type { dagOptionsSchema } from './options.ts';
import { BranchOutcome, OutputRef, ParamRef, type Dependency } from './refs.ts';
import type { BranchSource, DagSpec, FailureHandlerSpec, JsonSchema, ParamSpec, ScheduleSpec, TaskSpec } from './spec.ts';
import type { GroupRecord, TaskRecord } from './tasks.ts';

interface Wiring {
  readonly upstream: Map<string, string[]>;
  /** Per task, the upstream ids only its input bindings put there (no `after:`, group or branch outcome). */
  readonly implied: Map<string, string[]>;
  readonly paths: Map<string, Map<string, string[]>>;
}

export function buildSpec(
  state: DagState,
  options: z.output<typeof dagOptionsSchema>,
  params: Record<string, ParamDeclaration>,
  source: SourceLocation | undefined,
): DagSpec {
  const wiring = wire(state);
  const paramSpecs = Object.entries(params).map(([name, declaration]) => paramSpec(state.dagId, name, declaration, source));
  const tasks = state.tasks.map((record) => taskSpec(state, record, wiring, paramSpecs));
  return compact({
    dagId: state.dagId,
    description: options.description,
    doc: options.doc,
    schedule: scheduleSpec(options.schedule),
    scheduleEnv: options.scheduleEnv,
    startDate: new Date(options.startDate).toISOString().replace('.000Z', 'Z'),
    catchup: options.catchup,
    maxActiveRuns: options.maxActiveRuns,
    dagrunTimeoutSeconds: seconds(options.dagrunTimeout),
    tags: options.tags,
    params: paramSpecs,
    defaultArgs: normaliseDefaultArgs(options.defaultArgs, options.owner),
    profiles: Object.fromEntries(Object.entries(options.profiles).map(([name, runner]) => [name, normaliseRunner(runner)])),
    groups: state.groups.map((group) => compact({ id: group.id, localId: group.localId, parent: group.parent?.id, tooltip: group.tooltip, source: group.source })),
    tasks,
    onFailure: state.failureHandler && failureHandlerSpec(state, state.failureHandler),
    source,
    problems: state.problems.length ? state.problems : undefined,
  });
}

function failureHandlerSpec(state: DagState, handler: FailureHandlerRecord): FailureHandlerSpec {
  const { definition } = handler;
  return compact({
    script: definition.id,
    scriptSource: definition.source,
    inputSchema: jsonSchema(definition.input, 'input', `Failure handler script '${definition.id}' input`, state.dagId, undefined, definition.source),
    bindings: Object.fromEntries(Object.entries(handler.inputs).map(([field, value]) => [field, binding(value) as FailureHandlerSpec['bindings'][string]])),
    source: handler.source,
  });
}

function scheduleSpec(schedule: z.output<typeof dagOptionsSchema>['schedule']): ScheduleSpec {
  if (schedule === null) return { kind: 'none' };
  if (typeof schedule === 'object') return { kind: 'interval', seconds: seconds(schedule.every)! };
  return schedule.startsWith('@') ? { kind: 'preset', value: schedule } : { kind: 'cron', value: schedule.trim().split(/\s+/).join(' ') };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output', what: string, dagId: string, taskId: string | undefined, source: SourceLocation | undefined): JsonSchema {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'throw' }) as Record<string, unknown>;
    return withoutSafeIntegerBounds(rest);
  } catch (error) {
    throw new DagDefinitionError(`${what} cannot be expressed as JSON Schema (${(error as Error).message}); values crossing Airflow must be plain JSON.`, dagId, taskId, source);
  }
}

/** zod writes ±MAX_SAFE_INTEGER bounds on every int; they say nothing, so drop them. */
function withoutSafeIntegerBounds(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'minimum' || key === 'maximum') && Math.abs(item as number) === Number.MAX_SAFE_INTEGER) continue;
    out[key] = Array.isArray(item)
      ? item.map((x) => (x && typeof x === 'object' ? withoutSafeIntegerBounds(x as Record<string, unknown>) : x))
      : item && typeof item === 'object'
        ? withoutSafeIntegerBounds(item as Record<string, unknown>)
        : item;
  }
  return out;
}

function paramSpec(dagId: string, name: string, declaration: ParamDeclaration, source: SourceLocation | undefined): ParamSpec {
  const { default: value, description, ...schema } = jsonSchema(declaration.schema, 'input', `Param '${name}'`, dagId, undefined, source);
  return compact({ name, default: value, description: declaration.description ?? (description as string | undefined), schema });
}

/** Group dependencies depend on the group's roots/leaves, which depend on edges: iterate to a fixpoint. */
function wire(state: DagState): Wiring {
  let previous = '';
  let wiring: Wiring = { upstream: new Map(), implied: new Map(), paths: new Map() };
  for (let pass = 0; pass < 20; pass += 1) {
    wiring = wirePass(state, wiring);
    const signature = JSON.stringify([...wiring.upstream]);
    if (signature === previous) return wiring;
    previous = signature;
  }
  return wiring;
}

function wirePass(state: DagState, known: Wiring): Wiring {
  const upstream = new Map<string, string[]>(state.tasks.map((task) => [task.id, []]));
  const written = new Map<string, Set<string>>(state.tasks.map((task) => [task.id, new Set()]));
  const paths = new Map<string, Map<string, string[]>>();
  const addEdge = (from: string, to: string, byBinding = false) => {
    const list = upstream.get(to)!;
    if (!list.includes(from)) list.push(from);
    if (!byBinding) written.get(to)!.add(from);
  };
  const addDep = (taskId: string, dep: Dependency) => {
    if (dep instanceof BranchOutcome) {
      addEdge(dep.branch.id, taskId);
      const byValue = paths.get(dep.branch.id) ?? new Map<string, string[]>();
      paths.set(dep.branch.id, byValue);
      for (const value of dep.values) byValue.set(value, [...new Set([...(byValue.get(value) ?? []), taskId])]);
    } else if (dep.kind === 'group') {
      for (const leaf of groupEnds(state, dep.id, known, 'leaves')) addEdge(leaf, taskId);
    } else {
      addEdge(dep.id, taskId);
    }
  };
  for (const task of state.tasks) {
    for (const dep of task.deps) addDep(task.id, dep);
    for (const value of Object.values(task.inputs ?? {})) if (value instanceof OutputRef) addEdge(value.task.id, task.id, true);
  }
  for (const group of state.groups) {
    for (const root of groupEnds(state, group.id, known, 'roots')) for (const dep of group.deps) addDep(root, dep);
  }
  const implied = new Map([...upstream].map(([id, ups]) => [id, ups.filter((up) => !written.get(id)!.has(up))]));
  return { upstream, implied, paths };
}

function inGroup(task: TaskRecord, groupId: string): boolean {
  for (let group: GroupRecord | undefined = task.group; group; group = group.parent) if (group.id === groupId) return true;
  return false;
}

function groupEnds(state: DagState, groupId: string, wiring: Wiring, which: 'roots' | 'leaves'): string[] {
  const members = state.tasks.filter((task) => inGroup(task, groupId)).map((task) => task.id);
  const memberSet = new Set(members);
  return members.filter((id) => {
    if (which === 'roots') return !(wiring.upstream.get(id) ?? []).some((up) => memberSet.has(up));
    return ![...wiring.upstream].some(([down, ups]) => memberSet.has(down) && ups.includes(id));
  });
}

function binding(value: unknown): InputBinding {
  if (value instanceof OutputRef) return { from: 'xcom', task: value.task.id, path: value.path };
  if (value instanceof ParamRef) return { from: 'param', name: value.name };
  return { from: 'const', value };
}

function branchSource(on: unknown): BranchSource {
  if (on instanceof OutputRef) return { from: 'xcom', task: on.task.id, path: on.path };
  return { from: 'param', name: (on as ParamRef<string>).name };
}

/** The values a branch decision can take, read from the enum of its source's schema. */
function branchChoices(state: DagState, source: BranchSource, params: readonly ParamSpec[]): string[] | undefined {
  let schema: JsonSchema | undefined;
  if (source.from === 'param') schema = params.find((p) => p.name === source.name)?.schema;
  else {
    const upstream = state.tasks.find((task) => task.id === source.task);
    schema = upstream?.definition ? jsonSchema(upstream.definition.output, 'output', 'output', state.dagId, upstream.id, upstream.source) : undefined;
    for (const key of source.path) schema = (schema?.properties as Record<string, JsonSchema> | undefined)?.[key];
  }
  const values = schema?.enum;
  return Array.isArray(values) && values.every((v) => typeof v === 'string') ? (values as string[]) : undefined;
}

function taskSpec(state: DagState, record: TaskRecord, wiring: Wiring, params: readonly ParamSpec[]): TaskSpec {
  const { options } = record;
  const base = compact({
    id: record.id,
    localId: record.localId,
    group: record.group?.id,
    upstream: wiring.upstream.get(record.id) ?? [],
    impliedUpstream: wiring.implied.get(record.id)?.length ? wiring.implied.get(record.id) : undefined,
    triggerRule: options.triggerRule ?? 'all_success',
    skipUnlessSucceeded: options.skipUnlessSucceeded?.map((task) => task.id),
    doc: options.doc,
    retries: options.retries,
    retryDelaySeconds: seconds(options.retryDelay),
    executionTimeoutSeconds: seconds(options.executionTimeout),
    source: record.source,
  });
  if (record.kind === 'node') {
    const definition = record.definition!;
    const what = `Task script '${definition.id}'`;
    return compact({
      ...base,
      kind: 'node' as const,
      script: definition.id,
      scriptSource: definition.source,
      inputSchema: jsonSchema(definition.input, 'input', `${what} input`, state.dagId, record.id, definition.source),
      outputSchema: jsonSchema(definition.output, 'output', `${what} output`, state.dagId, record.id, definition.source),
      bindings: Object.fromEntries(Object.entries(record.inputs ?? {}).map(([field, value]) => [field, binding(value)])),
      runner: options.runner,
      pod: options.pod,
      env: options.env ?? {},
    });
  }
  if (record.kind === 'branch') {
    const on = branchSource(record.on);
    const byValue = wiring.paths.get(record.id) ?? new Map<string, string[]>();
    return compact({
      ...base,
      kind: 'branch' as const,
      on,
      choices: branchChoices(state, on, params),
      paths: Object.fromEntries([...byValue].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    });
  }
  if (record.kind === 'trigger') {
    return compact({
      ...base,
      kind: 'trigger' as const,
      targetDagId: record.target!.dagId,
      targetSource: record.target!.source,
      conf: Object.fromEntries(Object.entries(record.inputs ?? {}).map(([key, value]) => [key, binding(value)])),
      waitForCompletion: options.waitForCompletion ?? false,
      pokeIntervalSeconds: seconds(options.pokeInterval),
    });
  }
  return { ...base, kind: 'empty' as const };
}
