/**
 * The task objects a DAG file holds. They only record what was declared; `build.ts` turns
 * the records into the IR once the DAG callback has returned.
 */
import type { z } from 'zod';
import type { SourceLocation, TaskDefinition } from '../runtime/index.ts';
import {
  BranchOutcome,
  OutputRef,
  type Bindable,
  type DagIdentity,
  type Dependency,
  type GroupHandle,
  type Ref,
  type TaskHandle,
  type TaskKind,
} from './refs.ts';
import type { PodNeedsSpec, RunnerSpec, TriggerRule } from './spec.ts';

/** Options shared by every task kind (validated by `taskCommonSchema`). */
export interface CommonTaskOptions {
  id?: string;
  doc?: string;
  /** Upstream tasks, groups or branch outcomes. Input bindings add their sources too. */
  after?: readonly Dependency[];
  triggerRule?: TriggerRule;
  /**
   * Skip this task (state skipped, reason logged) unless every task listed succeeded in this
   * run; checked when the task is about to run, after its trigger rule fired. For a cleanup
   * task whose trigger rule also fires on upstream_failed. Each must be upstream of this task.
   */
  skipUnlessSucceeded?: readonly TaskHandle[];
  retries?: number;
  retryDelay?: { days?: number; hours?: number; minutes?: number; seconds?: number };
  executionTimeout?: { days?: number; hours?: number; minutes?: number; seconds?: number };
}

/** Input field → a reference or a constant of the type the task's input schema wants. */
export type InputBindings<In> = { [K in keyof In]: Bindable<In[K]> };

export type NodeTaskOptions<Def extends TaskDefinition> = CommonTaskOptions & {
  runner?: import('./options.ts').Runner;
  /** Under a Kubernetes runner: this task's service account, and whether it needs a Docker daemon. */
  pod?: import('./options.ts').PodNeeds;
  env?: Record<string, string>;
} & ({} extends InputBindings<z.input<Def['input']>>
    ? { inputs?: InputBindings<z.input<Def['input']>> }
    : { inputs: InputBindings<z.input<Def['input']>> });

/** What a trigger may put in the conf of a target DAG with param values `Params`. */
export type TriggerConf<Params> = { [K in keyof Params]?: Bindable<Params[K]> };

export interface TriggerOptions<Params> extends CommonTaskOptions {
  /** Params of the target run; the ones left out keep their defaults. */
  conf?: TriggerConf<Params>;
  /** Wait until the target run finishes (the trigger then fails when it fails). Default false. */
  waitForCompletion?: boolean;
  /** How often a waiting trigger looks at the target run (Airflow's default: 60 s). */
  pokeInterval?: { days?: number; hours?: number; minutes?: number; seconds?: number };
}

export interface BranchOptions<V extends string> extends CommonTaskOptions {
  /** The decision: a task output field or a param whose value names the path to follow. */
  on: Ref<V>;
}

/** Everything the builder records about one task. */
export interface TaskRecord {
  readonly kind: TaskKind;
  readonly id: string;
  readonly localId: string;
  readonly group: GroupRecord | undefined;
  readonly deps: Dependency[];
  readonly options: Omit<CommonTaskOptions, 'after' | 'id'> & {
    runner?: RunnerSpec;
    pod?: PodNeedsSpec;
    env?: Record<string, string>;
    waitForCompletion?: boolean;
    pokeInterval?: { days?: number; hours?: number; minutes?: number; seconds?: number };
  };
  readonly definition?: TaskDefinition;
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly on?: Ref<string>;
  /** The DAG a trigger starts. */
  readonly target?: { readonly dagId: string; readonly source: SourceLocation | undefined };
  readonly source: SourceLocation | undefined;
}

export interface GroupRecord {
  readonly handle: GroupHandle;
  readonly id: string;
  readonly localId: string;
  readonly parent: GroupRecord | undefined;
  readonly tooltip: string | undefined;
  readonly deps: Dependency[];
  readonly source: SourceLocation | undefined;
}

abstract class BaseTask implements TaskHandle {
  abstract readonly kind: TaskKind;
  constructor(
    readonly record: Omit<TaskRecord, 'kind'>,
    readonly dag: DagIdentity,
  ) {}
  get id(): string {
    return this.record.id;
  }
  get source(): SourceLocation | undefined {
    return this.record.source;
  }
  /** Adds upstream dependencies after construction (like Airflow's `upstream >> task`). */
  after(...deps: Dependency[]): this {
    this.record.deps.push(...deps);
    return this;
  }
}

/** A task that runs a Node task script. `output` / `field()` reference what it returns. */
export class NodeTask<Out = unknown> extends BaseTask {
  readonly kind = 'node' as const;
  get output(): OutputRef<Out> {
    return new OutputRef<Out>(this, []);
  }
  field<K extends keyof Out & string>(name: K): OutputRef<Out[K]> {
    return new OutputRef<Out[K]>(this, [name]);
  }
}

/** A BranchPythonOperator: downstream tasks declare `after: [branch.when('VALUE')]`. */
export class BranchTask<V extends string = string> extends BaseTask {
  readonly kind = 'branch' as const;
  when(...values: [V, ...V[]]): BranchOutcome<V> {
    return new BranchOutcome<V>(this, values);
  }
}

/** An EmptyOperator: a join or a marker. */
export class EmptyTask extends BaseTask {
  readonly kind = 'empty' as const;
}

/** A TriggerDagRunOperator: starts a run of another DAG of the project. */
export class TriggerTask extends BaseTask {
  readonly kind = 'trigger' as const;
}

export type AnyTask = NodeTask<any> | BranchTask<any> | EmptyTask | TriggerTask;
