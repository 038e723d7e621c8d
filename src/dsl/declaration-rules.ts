/**
 * Rules checked while a DAG is declared that span more than one option: Airflow's limit for
 * continuous schedules, and params whose defaults must exist and satisfy their own schema.
 * They return problems instead of throwing, so one build reports everything.
 */
import type { z } from 'zod';
import type { SourceLocation } from '../runtime/index.ts';
import type { ParamDeclaration } from './dag.ts';
import { issueReason, nonAscii, sentence, showValue, type OptionPath } from './issues.ts';
import { identifierSchema, type dagOptionsSchema } from './options.ts';
import type { DefinitionProblem } from './spec.ts';

export function definitionProblem(message: string, source: SourceLocation | undefined, optionPath?: OptionPath, taskId?: string, about: DefinitionProblem['about'] = 'option'): DefinitionProblem {
  return { about, message, ...(taskId === undefined ? {} : { taskId }), ...(source ? { source } : {}), ...(optionPath?.length ? { optionPath } : {}) };
}

/** Airflow's ContinuousTimetable allows one active run; it refuses the DAG at import otherwise. */
export function continuousProblems(dagId: string, options: z.output<typeof dagOptionsSchema>, written: object, source: SourceLocation | undefined): DefinitionProblem[] {
  if (options.schedule !== '@continuous' || options.maxActiveRuns <= 1) return [];
  const said = 'maxActiveRuns' in written;
  return [
    definitionProblem(
      `DAG '${dagId}' has schedule '@continuous' with maxActiveRuns ${options.maxActiveRuns}${said ? '' : ' (the default)'}; Airflow's ContinuousTimetable allows at most 1 active run and refuses the DAG at import. Set maxActiveRuns: 1.`,
      source,
      [said ? 'maxActiveRuns' : 'schedule'],
    ),
  ];
}

/** Param names, and defaults that exist and satisfy their own schema (else every default trigger fails). */
export function paramProblems(dagId: string, params: Record<string, ParamDeclaration>, source: SourceLocation | undefined): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const [name, declaration] of Object.entries(params)) {
    const where = declaration.source ?? source;
    const path = declaration.source ? undefined : ['params', name];
    if (!identifierSchema.safeParse(name).success) {
      problems.push(definitionProblem(`DAG '${dagId}' param '${name}' must be an identifier (a letter or "_" followed by letters, digits or "_"${nonAscii(name) ? `; it contains ${nonAscii(name)}` : ''}). Rename it.`, where, path, undefined, 'param'));
    }
    const fallback = declaration.schema.safeParse(undefined);
    if (!fallback.success || fallback.data === undefined) {
      problems.push(
        definitionProblem(
          `DAG '${dagId}' param '${name}' has no default, so a run triggered without conf fails in Airflow ("No value passed and Param has no default value"), and a scheduled DAG is refused at import. Give it one: param(schema.default(…)).`,
          where,
          path,
          undefined,
          'param',
        ),
      );
      continue;
    }
    const check = declaration.schema.safeParse(fallback.data, { reportInput: true });
    if (!check.success) {
      problems.push(
        definitionProblem(
          `DAG '${dagId}' param '${name}' has the default ${showValue(fallback.data)}, which its own schema refuses: ${sentence(check.error.issues.map(issueReason).join('; '))} Airflow validates the default on every trigger; change the default or the schema.`,
          where,
          path,
          undefined,
          'param',
        ),
      );
    }
  }
  return problems;
}
