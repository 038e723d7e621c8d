/**
 * Validates an options object without stopping at the first mistake: the problems are
 * returned as sentences, and every key that did not validate falls back to its default (or
 * `fallback`), so the rest of the DAG can still be built and checked in the same pass.
 */
import type { z } from 'zod';
import { describeIssues, type OptionProblem } from './issues.ts';

export interface CheckedOptions<T> {
  readonly data: T;
  readonly problems: readonly OptionProblem[];
}

export function checkOptions<S extends z.ZodObject>(
  schema: S,
  value: Record<string, unknown>,
  subject: string,
  fallback: Partial<z.output<S>> = {},
): CheckedOptions<z.output<S>> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { data: result.data, problems: [] };
  const data: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const own = field.safeParse(value[key]);
    const usable = own.success ? own : field.safeParse(undefined);
    const chosen = usable.success ? usable.data : (fallback as Record<string, unknown>)[key];
    if (chosen !== undefined) data[key] = chosen;
  }
  return { data: data as z.output<S>, problems: describeIssues(schema, result.error.issues, subject) };
}
