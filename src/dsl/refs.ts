/**
 * Typed references between DSL objects. Each carries its value type as a phantom field
 * (`__type`), so wiring a number output into a string input fails `tsc`, and the compiler
 * re-checks the same contract from the zod schemas.
 */
import type { SourceLocation } from '../runtime/index.ts';

/** Internal identity of a DAG under construction; refs remember which DAG they belong to. */
export interface DagIdentity {
  readonly dagId: string;
}

export abstract class Ref<T> {
  declare readonly __type: T;
}

/** The whole output of a Node task, or one field of it (`path`). */
export class OutputRef<T> extends Ref<T> {
  constructor(
    readonly task: TaskHandle,
    readonly path: readonly string[],
  ) {
    super();
  }
}

/** A DAG param: its value at run time (trigger conf overrides the default). */
export class ParamRef<T> extends Ref<T> {
  constructor(
    readonly dag: DagIdentity,
    readonly name: string,
  ) {
    super();
  }
}

/** A value bound to an input: a reference or a constant written in the DAG file. */
export type Bindable<T> = Ref<T> | T;

export type TaskKind = 'node' | 'branch' | 'empty' | 'trigger';

/** What every task object exposes: identity and the ability to add upstream dependencies. */
export interface TaskHandle {
  readonly kind: TaskKind;
  readonly id: string;
  readonly dag: DagIdentity;
  readonly source: SourceLocation | undefined;
}

/** A task group, usable as a dependency: `after: [group]` means after all of its leaves. */
export interface GroupHandle {
  readonly kind: 'group';
  readonly id: string;
  readonly dag: DagIdentity;
  readonly source: SourceLocation | undefined;
}

/** One or more outcomes of a branch: the tasks that depend on it run only for those values. */
export class BranchOutcome<V extends string> {
  constructor(
    readonly branch: TaskHandle,
    readonly values: readonly V[],
  ) {}
}

export type Dependency = TaskHandle | GroupHandle | BranchOutcome<string>;
