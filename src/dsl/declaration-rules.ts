/**
 * Rules checked while a DAG is declared that span more than one option: Airflow's limit for
 * continuous schedules, a schedule override that needs a recurring default, and params whose
 * defaults must exist and satisfy their own schema.
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

/**
 * `scheduleEnv` lets a deployment change *when* a DAG runs, not *whether* it is scheduled: the
 * default it replaces must repeat on a timetable (a cron, a recurring preset or an interval).
 * `written` is the options as written: a schedule that failed its own check is reported there.
 */
export function scheduleEnvProblems(dagId: string, written: { readonly schedule?: unknown; readonly scheduleEnv?: unknown }, source: SourceLocation | undefined): DefinitionProblem[] {
  const { schedule, scheduleEnv } = written;
  if (typeof scheduleEnv !== 'string') return [];
  const why =
    schedule === null
      ? 'a DAG without a schedule runs only when triggered, and scheduling it is a decision for its source (start date, catchup, params), not for its deployment'
      : schedule === '@once'
        ? "an '@once' DAG runs a single time, and making it recurring is a decision for its source, not for its deployment"
        : schedule === '@continuous'
          ? "a '@continuous' DAG starts a run as soon as the last one ends: there is no timetable to tune, and replacing it with one changes what the DAG is"
          : undefined;
  if (!why) return [];
  return [
    definitionProblem(
      `DAG '${dagId}' option 'scheduleEnv' would replace schedule ${showValue(schedule)}, but ${why}. Give the DAG a recurring default schedule for the variable to override (a cron string, a preset such as '@daily', or { every: … }), or leave scheduleEnv out.`,
      source,
      ['scheduleEnv'],
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
