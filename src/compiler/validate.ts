/** One pass over the IR that applies every rule and returns all problems, not just the first. */
import type { DagSpec } from '../dsl/spec.ts';
import { checkBranchTargets, checkJoinsAndReachability } from './checks/branches.ts';
import { createContext, type Check } from './checks/context.ts';
import { checkDeclaration, checkNotEmpty } from './checks/declaration.ts';
import { checkContracts } from './checks/contracts.ts';
import { checkCycles, checkDuplicates, checkIds, checkReferences } from './checks/graph.ts';
import { checkScripts } from './checks/scripts.ts';
import { checkSkipConditions } from './checks/skip-conditions.ts';
import { checkTriggers } from './checks/triggers.ts';
import type { Diagnostic } from './diagnostics.ts';

export interface ValidateOptions {
  /** Whether `<dir>/<script>.ts` exists in one of the task directories. */
  readonly scriptExists?: (script: string) => boolean;
  readonly taskDirs?: readonly string[];
  /** Every DAG of the build, by id: the DAGs a trigger may start (their params type its conf). */
  readonly buildDags?: ReadonlyMap<string, DagSpec>;
}

export function validate(spec: DagSpec, options: ValidateOptions = {}): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const context = createContext(spec, diagnostics);
  const structural: Check[] = [checkDeclaration, checkNotEmpty, checkIds, checkDuplicates, checkReferences, checkCycles];
  for (const check of structural) check(context);
  // Branch simulation needs a sound graph; contracts and scripts do not.
  const graphIsSound = !diagnostics.some((d) => d.code === 'cycle' || d.code === 'duplicate-id');
  const semantic: Check[] = [checkContracts, checkTriggers(options.buildDags ?? new Map()), checkSkipConditions, ...(graphIsSound ? [checkBranchTargets, checkJoinsAndReachability] : [])];
  if (options.scriptExists) semantic.push(checkScripts(options.scriptExists, options.taskDirs ?? ['src/tasks']));
  for (const check of semantic) check(context);
  return diagnostics;
}
