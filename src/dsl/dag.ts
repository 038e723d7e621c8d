/**
 * The authoring entry point: `dag(id, options, (d) => { ... })`. The callback declares tasks
 * through an explicit scope object (`d`, or `g` inside a group); nothing is global.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { callerLocation } from '../runtime/call-site.ts';
import { FAILURE_INPUT_FIELD, type SourceLocation, type TaskDefinition } from '../runtime/index.ts';
import { buildSpec } from './build.ts';
import { DagDefinitionError } from './errors.ts';
import { checkOptions } from './checked-options.ts';
import { continuousProblems, definitionProblem, paramProblems, scheduleEnvProblems } from './declaration-rules.ts';
import { dagOptionsSchema, groupOptionsSchema, identifierSchema, nodeTaskOptionsSchema, taskCommonSchema, triggerOptionsSchema } from './options.ts';
import { BranchOutcome, OutputRef, ParamRef, type DagIdentity, type Dependency, type GroupHandle } from './refs.ts';
import type { DagSpec, DefinitionProblem, RunnerSpec } from './spec.ts';
import {
  BranchTask,
  EmptyTask,
  NodeTask,
  TriggerTask,
  type AnyTask,
  type BranchOptions,
  type CommonTaskOptions,
  type GroupRecord,
  type InputBindings,
  type NodeTaskOptions,
  type TaskRecord,
  type TriggerOptions,
} from './tasks.ts';
import { normaliseRunner } from './normalise.ts';

const DSL_DIR = path.dirname(fileURLToPath(import.meta.url));
const RUNTIME_DIR = path.resolve(DSL_DIR, '../runtime');
const here = (): SourceLocation | undefined => callerLocation([DSL_DIR, RUNTIME_DIR]);

/** A DAG param: a zod schema with a default, shown in Airflow's trigger form. */
export interface ParamDeclaration<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  readonly description?: string;
  /** Where `param()` was called: problems with the param point there. */
  readonly source?: SourceLocation;
}
export function param<S extends z.ZodType>(schema: S, description?: string): ParamDeclaration<S> {
  const source = here();
  return { schema, ...(description === undefined ? {} : { description }), ...(source ? { source } : {}) };
}

type ParamRefs<P extends Record<string, ParamDeclaration>> = { readonly [K in keyof P]: ParamRef<z.output<P[K]['schema']>> };

export type DagOptions<P extends Record<string, ParamDeclaration>> = z.input<typeof dagOptionsSchema> & { params?: P };

/** The values of a DAG's params, as a run sees them. */
export type ParamValues<P extends Record<string, ParamDeclaration>> = { [K in keyof P]: z.output<P[K]['schema']> };

/** The finished DAG: what a `*.dag.ts` file default-exports. */
export interface Dag<Params = Record<string, unknown>> {
  readonly kind: 'dag';
  readonly dagId: string;
  readonly spec: DagSpec;
  /** Type only (never set): the params' values, so `d.trigger(thisDag, { conf })` is typed. */
  readonly __params?: Params;
}

export interface FailureHandlerRecord {
  readonly definition: TaskDefinition;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly source: SourceLocation | undefined;
}

export interface DagState extends DagIdentity {
  readonly tasks: TaskRecord[];
  readonly groups: GroupRecord[];
  readonly handles: Map<TaskRecord, AnyTask>;
  /** Option mistakes, collected so that one build reports them with the graph's problems. */
  readonly problems: DefinitionProblem[];
  failureHandler?: FailureHandlerRecord;
}

/** Inputs of a failure handler: everything but `failure`, from params or constants. */
export type FailureHandlerInputs<Def extends TaskDefinition<any, any>> = Omit<InputBindings<z.input<Def['input']>>, typeof FAILURE_INPUT_FIELD>;

/** The object a DAG (or group) callback receives to declare tasks. */
export class Scope<P extends Record<string, ParamDeclaration> = Record<string, ParamDeclaration>> {
  constructor(
    private readonly state: DagState,
    private readonly enclosing: GroupRecord | undefined,
    /** DAG params as typed references, for input bindings and branch decisions. */
    readonly params: ParamRefs<P>,
  ) {}

  /** A Node task running the given task script. Its id defaults to the script id with `_`. */
  task<Def extends TaskDefinition<any, any>>(definition: Def, options: NodeTaskOptions<Def>): NodeTask<z.output<Def['output']>> {
    const source = here();
    const { after, inputs, id, runner, ...rest } = options as NodeTaskOptions<Def> & { inputs?: Record<string, unknown> };
    if (definition?.kind !== 'task-definition') {
      throw new DagDefinitionError('Task option "definition" must be a task script made with defineTask().', this.state.dagId, id, source);
    }
    const localId = id ?? definition.id.replace(/-/g, '_');
    const checked = this.options(nodeTaskOptionsSchema, { id: localId, ...rest, ...(runner ? { runner } : {}) }, localId, source);
    const record = this.record('node', localId, after, source, {
      ...withoutId(checked),
      ...(checked.runner ? { runner: normaliseRunner(checked.runner) as RunnerSpec } : {}),
    });
    Object.assign(record, { definition, inputs: inputs ?? {} });
    this.checkBindings(localId, inputs ?? {}, source);
    return this.register(record, new NodeTask(record, this.state));
  }

  /**
   * Runs `definition` from every task's on_failure_callback when that task has failed for
   * good (no retries left). Its input `failure` (taskFailureSchema) is filled from Airflow's
   * context; other inputs may come from params or constants. One handler per DAG.
   */
  onFailure<Def extends TaskDefinition<any, any>>(definition: Def, options: { inputs?: FailureHandlerInputs<Def> } = {}): void {
    const source = here();
    const inputs = (options.inputs ?? {}) as Record<string, unknown>;
    const fail = (message: string): never => {
      throw new DagDefinitionError(message, this.state.dagId, undefined, source);
    };
    if (definition?.kind !== 'task-definition') fail('onFailure() needs a task script made with defineTask().');
    if (this.enclosing) fail(`onFailure() declares a DAG-wide handler; call it on the DAG's scope, not inside group '${this.enclosing.localId}'.`);
    if (this.state.failureHandler) fail(`DAG '${this.state.dagId}' already has a failure handler ('${this.state.failureHandler.definition.id}'); declare one.`);
    for (const [field, value] of Object.entries(inputs)) {
      if (field === FAILURE_INPUT_FIELD) fail(`Failure handler input '${FAILURE_INPUT_FIELD}' is filled by the callback; do not bind it.`);
      if (value instanceof OutputRef) fail(`Failure handler input '${field}' reads task '${value.task.id}''s output, but a failure callback cannot pull XCom; bind a param or a constant.`);
    }
    this.checkBindings(`on_failure:${definition.id}`, inputs, source);
    this.state.failureHandler = { definition, inputs, source };
  }

  /** A branch: the value of `on` picks which `after: [branch.when(value)]` tasks run. */
  branch<V extends string>(id: string, options: BranchOptions<V>): BranchTask<V> {
    const source = here();
    const { after, on, ...rest } = options;
    if (!(on instanceof OutputRef) && !(on instanceof ParamRef)) {
      throw new DagDefinitionError(`Branch '${id}' needs "on": a task output field (task.field('x')) or a param (d.params.x).`, this.state.dagId, id, source);
    }
    this.checkOwnership(id, on instanceof OutputRef ? on.task.dag : on.dag, source);
    const checked = this.options(taskCommonSchema, { id, ...rest }, id, source);
    const deps: Dependency[] = [...(after ?? [])];
    if (on instanceof OutputRef) deps.push(on.task);
    const record = this.record('branch', id, deps, source, withoutId(checked));
    Object.assign(record, { on });
    return this.register(record, new BranchTask<V>(record, this.state));
  }

  /**
   * An EmptyOperator, typically a join after a branch (give it a trigger rule that lets it run).
   * No `skipUnlessSucceeded`: Airflow marks an EmptyOperator success without running it.
   */
  empty(id: string, options: Omit<CommonTaskOptions, 'skipUnlessSucceeded'> = {}): EmptyTask {
    const source = here();
    const { after, ...rest } = options;
    const checked = this.options(taskCommonSchema, { id, ...rest }, id, source);
    const record = this.record('empty', id, after, source, withoutId(checked));
    return this.register(record, new EmptyTask(record, this.state));
  }

  /**
   * A TriggerDagRunOperator starting a run of `target`, another DAG of this project (the default
   * export of its `*.dag.ts`), with `conf` filling some of its params: constants, this DAG's
   * params or upstream task outputs, all checked against the target's param schemas when the
   * project is compiled. Binding an output also adds the dependency.
   */
  trigger<T>(target: Dag<T>, options: TriggerOptions<T>): TriggerTask {
    const source = here();
    const { after, conf, id, ...rest } = options as TriggerOptions<T> & { conf?: Record<string, unknown> };
    if ((target as { kind?: unknown } | undefined)?.kind !== 'dag') {
      throw new DagDefinitionError(
        "d.trigger() needs the DAG to start: the default export of another *.dag.ts file (import target from './other.dag.ts').",
        this.state.dagId,
        id,
        source,
      );
    }
    const localId = id ?? `trigger_${target.dagId}`;
    const checked = this.options(triggerOptionsSchema, { id: localId, ...rest }, localId, source, 'Trigger');
    const record = this.record('trigger', localId, after, source, withoutId(checked));
    Object.assign(record, { inputs: conf ?? {}, target: { dagId: target.dagId, source: target.spec.source } });
    for (const [key, value] of Object.entries(conf ?? {})) {
      if (value instanceof OutputRef) this.checkOwnership(localId, value.task.dag, source);
      else if (value instanceof ParamRef) this.checkOwnership(localId, value.dag, source);
      else if (!isJson(value)) {
        throw new DagDefinitionError(`Trigger '${localId}' conf '${key}' is a constant that is not plain JSON (numbers must be finite; no functions, dates or class instances).`, this.state.dagId, localId, source);
      }
    }
    return this.register(record, new TriggerTask(record, this.state));
  }

  /** A TaskGroup. Child ids are prefixed with `<id>.`; `after` applies to the group's first tasks. */
  group<R>(id: string, options: { tooltip?: string; after?: readonly Dependency[] }, declare: (g: Scope<P>) => R): { readonly group: GroupHandle; readonly tasks: R } {
    const source = here();
    const { after, ...rest } = options;
    const checked = this.options(groupOptionsSchema, rest, id, source, 'Task group');
    const fullId = this.enclosing ? `${this.enclosing.id}.${id}` : id;
    const handle: GroupHandle = { kind: 'group', id: fullId, dag: this.state, source };
    const record: GroupRecord = { handle, id: fullId, localId: id, parent: this.enclosing, tooltip: checked.tooltip, deps: [...(after ?? [])], source };
    for (const dep of record.deps) this.checkDependency(id, dep, source);
    this.state.groups.push(record);
    return { group: handle, tasks: declare(new Scope<P>(this.state, record, this.params)) };
  }

  private record(
    kind: TaskRecord['kind'],
    localId: string,
    after: readonly Dependency[] | undefined,
    source: SourceLocation | undefined,
    options: TaskRecord['options'],
  ): TaskRecord {
    const deps = [...(after ?? [])];
    for (const dep of deps) this.checkDependency(localId, dep, source);
    for (const task of options.skipUnlessSucceeded ?? []) this.checkOwnership(localId, task.dag, source);
    const id = this.enclosing ? `${this.enclosing.id}.${localId}` : localId;
    return { kind, id, localId, group: this.enclosing, deps, options, source };
  }

  private register<T extends AnyTask>(record: TaskRecord, handle: T): T {
    this.state.tasks.push(record);
    this.state.handles.set(record, handle);
    return handle;
  }

  /** Validates options, recording every problem (ids are left to the compiler's id check). */
  private options<S extends z.ZodObject>(schema: S, value: Record<string, unknown>, taskId: string, source: SourceLocation | undefined, construct = 'Task'): z.output<S> {
    const checked = checkOptions(schema, value, `${construct} '${taskId}'`);
    for (const problem of checked.problems) {
      if (problem.path[0] !== 'id') this.state.problems.push(definitionProblem(problem.message, source, problem.path, taskId));
    }
    return checked.data;
  }

  private checkDependency(taskId: string, dep: Dependency, source: SourceLocation | undefined): void {
    const owner = dep instanceof BranchOutcome ? dep.branch.dag : (dep as { dag?: DagIdentity })?.dag;
    if (!owner) {
      throw new DagDefinitionError(`Task '${taskId}' lists something that is not a task, group or branch outcome in "after".`, this.state.dagId, taskId, source);
    }
    this.checkOwnership(taskId, owner, source);
  }

  private checkOwnership(taskId: string, owner: DagIdentity, source: SourceLocation | undefined): void {
    if (owner !== this.state) {
      throw new DagDefinitionError(
        `Task '${taskId}' refers to a task of DAG '${owner.dagId}', which is not part of DAG '${this.state.dagId}'. Declare the task inside this DAG's callback.`,
        this.state.dagId,
        taskId,
        source,
      );
    }
  }

  private checkBindings(taskId: string, inputs: Record<string, unknown>, source: SourceLocation | undefined): void {
    for (const [field, value] of Object.entries(inputs)) {
      if (!identifierSchema.safeParse(field).success) {
        this.state.problems.push(definitionProblem(`Task '${taskId}' input '${field}' is not an identifier (a letter or "_" followed by letters, digits or "_"); rename it in the task script's input schema.`, source, ['inputs', field], taskId));
      }
      if (value instanceof OutputRef) this.checkOwnership(taskId, value.task.dag, source);
      else if (value instanceof ParamRef) this.checkOwnership(taskId, value.dag, source);
      else if (!isJson(value)) {
        throw new DagDefinitionError(`Task '${taskId}' input '${field}' is a constant that is not plain JSON (numbers must be finite; no functions, dates or class instances).`, this.state.dagId, taskId, source);
      }
    }
  }
}

function withoutId<T extends { id?: unknown }>(value: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = value;
  return rest;
}

function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isJson);
  return false;
}

/** Declares a DAG. The callback runs once, immediately; the result is the DAG's IR. */
export function dag<P extends Record<string, ParamDeclaration> = Record<never, ParamDeclaration>>(
  dagId: string,
  options: DagOptions<P>,
  declare: (d: Scope<P>) => void,
): Dag<ParamValues<P>> {
  const source = here();
  const { params = {} as P, ...rest } = options;
  const state: DagState = { dagId, tasks: [], groups: [], handles: new Map(), problems: [] };
  const checked = checkOptions(dagOptionsSchema, rest, `DAG '${dagId}'`, { startDate: '1970-01-01', schedule: null });
  for (const problem of checked.problems) state.problems.push(definitionProblem(problem.message, source, problem.path));
  state.problems.push(...continuousProblems(dagId, checked.data, rest, source), ...scheduleEnvProblems(dagId, rest, source), ...paramProblems(dagId, params, source));
  const refs = Object.fromEntries(Object.keys(params).map((name) => [name, new ParamRef(state, name)])) as ParamRefs<P>;
  declare(new Scope<P>(state, undefined, refs));
  return { kind: 'dag', dagId, spec: buildSpec(state, checked.data, params, source) };
}
