import type { DagSpec, TaskSpec } from '../../dsl/spec.ts';
import type { SourceLocation } from '../../runtime/call-site.ts';
import type { CheckCode, Diagnostic } from '../diagnostics.ts';

/** What every check reads (the spec, indexed) and how it reports. */
export interface CheckContext {
  readonly spec: DagSpec;
  readonly byId: ReadonlyMap<string, TaskSpec>;
  /** Direct downstream ids of each task (only edges between known tasks). */
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  report(code: CheckCode, message: string, task?: TaskSpec, location?: SourceLocation, optionPath?: readonly (string | number)[]): void;
}

export type Check = (context: CheckContext) => void;

export function createContext(spec: DagSpec, diagnostics: Diagnostic[]): CheckContext {
  const byId = new Map<string, TaskSpec>();
  for (const task of spec.tasks) if (!byId.has(task.id)) byId.set(task.id, task);
  const downstream = new Map<string, string[]>(spec.tasks.map((task) => [task.id, []]));
  for (const task of spec.tasks) {
    for (const up of task.upstream) {
      const list = downstream.get(up);
      if (list && !list.includes(task.id)) list.push(task.id);
    }
  }
  return {
    spec,
    byId,
    downstream,
    report(code, message, task, location, optionPath) {
      const where = location ?? task?.source ?? spec.source;
      diagnostics.push({ code, message, dagId: spec.dagId, ...(task ? { taskId: task.id } : {}), ...(where ? { location: where } : {}), ...(optionPath ? { optionPath } : {}) });
    },
  };
}

/** Tasks reachable downstream of `start` (excluded), following known edges. */
export function descendants(context: CheckContext, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(context.downstream.get(start) ?? [])];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(context.downstream.get(id) ?? []));
  }
  return seen;
}

/** Tasks upstream of `start` (excluded). */
export function ancestors(context: CheckContext, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(context.byId.get(start)?.upstream ?? [])];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || !context.byId.has(id)) continue;
    seen.add(id);
    stack.push(...context.byId.get(id)!.upstream);
  }
  return seen;
}

export const quoteList = (ids: Iterable<string>): string => [...ids].map((id) => `'${id}'`).join(', ');
