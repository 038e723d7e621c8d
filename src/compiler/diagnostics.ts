import { formatLocation, type SourceLocation } from '../runtime/call-site.ts';
import { DagError } from '../dsl/errors.ts';

/** Every rule `validate()` applies, one code each. */
export type CheckCode =
  | 'invalid-id'
  | 'duplicate-id'
  | 'dangling-reference'
  | 'cycle'
  | 'branch-target-not-downstream'
  | 'branch-outcome-unmapped'
  | 'branch-outcome-impossible'
  | 'branch-source'
  | 'join-trigger-rule'
  | 'skip-unless-succeeded'
  | 'unreachable-task'
  | 'missing-script'
  | 'xcom-contract'
  | 'unknown-param'
  | 'trigger-target'
  | 'trigger-conf'
  | 'unknown-profile'
  | 'invalid-option'
  | 'invalid-param'
  | 'empty-dag';

/** One broken rule: the construct, the quoted entity, the rule, the fix — and where. */
export interface Diagnostic {
  readonly code: CheckCode;
  readonly message: string;
  readonly dagId: string;
  readonly taskId?: string;
  readonly location?: SourceLocation;
  /** For option problems: the option's path inside the call at `location` (see locate-option.ts). */
  readonly optionPath?: readonly (string | number)[];
}

export function formatDiagnostic(diagnostic: Diagnostic, root: string): string {
  return `${formatLocation(diagnostic.location, root)}: ${diagnostic.message} [${diagnostic.code}]`;
}

/** Base class of the compiler's errors. */
export class CompileError extends DagError {}

/** `validate()` found problems; all of them are listed, each with its `file:line`. */
export class DagValidationError extends CompileError {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    root: string,
  ) {
    const first = diagnostics[0]!;
    const count = diagnostics.length === 1 ? '1 problem' : `${diagnostics.length} problems`;
    super(
      `DAG '${first.dagId}' has ${count}:\n${diagnostics.map((d) => `  ${formatDiagnostic(d, root)}`).join('\n')}`,
      first.dagId,
      first.taskId,
      first.location,
    );
  }
}
