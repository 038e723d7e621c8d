import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { callerLocation, type SourceLocation } from './call-site.ts';
import type { TaskContext } from './context.ts';

const RUNTIME_DIR = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT_ID = /^[a-z][a-z0-9-]*$/;

export type ObjectSchema = z.ZodObject<any>;

export interface TaskSpec<I extends ObjectSchema, O extends ObjectSchema> {
  /** The script id: the file name without `.ts`, matching /^[a-z][a-z0-9-]*$/. */
  readonly id: string;
  readonly description?: string;
  readonly input: I;
  readonly output: O;
  // Method syntax on purpose: keeps TaskDefinition<Specific> assignable to TaskDefinition.
  run(input: z.infer<I>, ctx: TaskContext): Promise<z.infer<O>> | z.infer<O>;
}

export interface TaskDefinition<I extends ObjectSchema = ObjectSchema, O extends ObjectSchema = ObjectSchema>
  extends TaskSpec<I, O> {
  readonly kind: 'task-definition';
  /** Where `defineTask` was called: the task script file. */
  readonly source: SourceLocation;
}

export type TaskInput<T extends TaskDefinition<any, any>> = z.infer<T['input']>;
export type TaskOutput<T extends TaskDefinition<any, any>> = z.infer<T['output']>;

/** Declares a task script. Pure (no I/O, no env reads): DAG files import definitions. */
export function defineTask<I extends ObjectSchema, O extends ObjectSchema>(spec: TaskSpec<I, O>): TaskDefinition<I, O> {
  const source = callerLocation([RUNTIME_DIR]) ?? { file: '<unknown>', line: 0, column: 0 };
  const where = `${source.file}:${source.line}`;
  if (typeof spec.id !== 'string' || !SCRIPT_ID.test(spec.id)) {
    throw new TypeError(
      `${where}: defineTask() got id ${JSON.stringify(spec.id)}, which is not a valid script id. ` +
        `Use lowercase letters, digits and dashes, starting with a letter (the file name without .ts, e.g. 'prepare-training-data').`,
    );
  }
  for (const key of ['input', 'output'] as const) {
    if (!(spec[key] instanceof z.ZodObject)) {
      throw new TypeError(
        `${where}: defineTask('${spec.id}') needs '${key}' to be a z.object({...}) schema. ` +
          `Wrap the fields in z.object(), e.g. ${key}: z.object({ value: z.string() }).`,
      );
    }
  }
  if (typeof spec.run !== 'function') {
    throw new TypeError(`${where}: defineTask('${spec.id}') needs a 'run' function: run: async (input, ctx) => ({ ... }).`);
  }
  const { id, description, input, output, run } = spec;
  return Object.freeze({
    kind: 'task-definition' as const,
    id,
    ...(description === undefined ? {} : { description }),
    input,
    output,
    run,
    source: Object.freeze(source),
  });
}
