import type { SourceLocation } from '../runtime/index.ts';
import { formatLocation } from '../runtime/call-site.ts';
import { HealthPredictError } from '../runtime/errors.ts';

/**
 * Base of every error about a DAG definition. Messages follow one pattern: the construct,
 * the quoted entity, the rule, the fix; `where` is the declaring `file:line`.
 */
export class DagError extends HealthPredictError {
  constructor(
    message: string,
    readonly dagId: string,
    readonly taskId?: string,
    readonly location?: SourceLocation,
  ) {
    super(message);
    this.name = new.target.name;
  }

  where(root = process.cwd()): string {
    return formatLocation(this.location, root);
  }
}

/** A rule broken while the DAG is being declared (bad option, foreign task, …). */
export class DagDefinitionError extends DagError {
  constructor(message: string, dagId: string, taskId: string | undefined, location: SourceLocation | undefined) {
    super(`${formatLocation(location, process.cwd())}: ${message}`, dagId, taskId, location);
  }
}
