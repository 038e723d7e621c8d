/** The authoring API. DAG files import only from here (and their task scripts). */
export { dag, param, Scope, type Dag, type DagOptions, type ParamDeclaration, type ParamValues } from './dag.ts';
export { BranchTask, EmptyTask, NodeTask, TriggerTask, type AnyTask, type BranchOptions, type CommonTaskOptions, type NodeTaskOptions, type TriggerConf, type TriggerOptions } from './tasks.ts';
export { BranchOutcome, OutputRef, ParamRef, Ref, type Bindable, type Dependency, type GroupHandle } from './refs.ts';
export { DagError, DagDefinitionError } from './errors.ts';
export type { Duration, Runner, Schedule, DefaultArgs } from './options.ts';
export type * from './spec.ts';
export { TRIGGER_RULES } from './spec.ts';
