import { z } from 'zod';
import { ENV, type InputBinding } from './contract.ts';
import type { TaskDefinition, TaskInput } from './define-task.ts';
import { InputContractError } from './errors.ts';

type Env = Record<string, string | undefined>;

const bindingsSchema = z.record(
  z.string(),
  z.discriminatedUnion('from', [
    z.object({ from: z.literal('xcom'), task: z.string(), path: z.array(z.string()) }),
    z.object({ from: z.literal('param'), name: z.string() }),
    z.object({ from: z.literal('const'), value: z.unknown() }),
  ]),
);

const REBUILD = 'The DAG compiler writes this variable: rebuild and redeploy the DAG (npm run dag:build).';

/**
 * The validated input of `def`: the whole object from HP_INPUT when set (manual runs),
 * otherwise assembled field by field from HP_BINDINGS and the HP_INPUT__<field> variables.
 */
export function resolveInput<Def extends TaskDefinition<any, any>>(def: Def, env: Env): TaskInput<Def> {
  const task = env[ENV.taskId] ?? def.id;
  const whole = env[ENV.input];
  if (whole !== undefined) {
    const raw = parseJson(whole, (error) => `${ENV.input} is not valid JSON (${error}). Set it to the input object, e.g. ${ENV.input}='{"rows": 10}'.`);
    return validate(def, task, raw, () => ENV.input);
  }
  const bindings = readBindings(env);
  const raw: Record<string, unknown> = {};
  for (const [field, binding] of Object.entries(bindings)) {
    raw[field] = bindingValue(task, field, binding, env);
  }
  return validate(def, task, raw, (field) => {
    if (field === undefined) return ENV.bindings;
    const binding = bindings[field];
    return binding ? provenance(binding) : `nowhere: it has no binding in ${ENV.bindings}`;
  });
}

function readBindings(env: Env): Record<string, InputBinding> {
  const text = env[ENV.bindings];
  if (text === undefined) return {};
  const raw = parseJson(text, (error) => `${ENV.bindings} is not valid JSON (${error}). ${REBUILD}`);
  const result = bindingsSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new InputContractError(`${ENV.bindings} is malformed (${issues.join('; ')}). ${REBUILD}`);
  }
  return result.data as Record<string, InputBinding>;
}

function bindingValue(task: string, field: string, binding: InputBinding, env: Env): unknown {
  if (binding.from === 'const') return binding.value;
  const variable = `${ENV.inputPrefix}${field}`;
  const origin = `Input '${field}' of task '${task}' comes from ${provenance(binding)}`;
  const text = env[variable];
  if (text === undefined) {
    throw new InputContractError(`${origin}, but the environment variable ${variable} is not set. ${REBUILD}`);
  }
  if (binding.from === 'param') {
    return parseJson(text, (error) => `${origin}, but ${variable} is not valid JSON (${error}). ${REBUILD}`);
  }
  // An upstream task that was skipped or returned nothing renders as null (or an empty string).
  const upstream = text.trim() === '' ? null : parseJson(text, (error) => `${origin}, but ${variable} is not valid JSON (${error}). ${REBUILD}`);
  if (upstream === null || upstream === undefined) {
    throw new InputContractError(
      `${origin}, but task '${binding.task}' pushed no output (it was skipped or has not returned a value). ` +
        `Run '${task}' only after '${binding.task}' succeeds, or bind '${field}' to another source.`,
    );
  }
  let value: unknown = upstream;
  for (const [depth, key] of binding.path.entries()) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) {
      const missing = binding.path.slice(0, depth + 1).join('.');
      throw new InputContractError(
        `${origin}, but that task's output has no field '${missing}' (${describeShape(value)}). ` +
          `Return '${missing}' from task '${binding.task}', or fix the binding of '${field}' in the DAG.`,
      );
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function validate<Def extends TaskDefinition<any, any>>(
  def: Def,
  task: string,
  raw: unknown,
  source: (field: string | undefined) => string,
): TaskInput<Def> {
  const result = def.input.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue: z.core.$ZodIssue) => {
    const field = issue.path.length ? issue.path.map(String).join('.') : '(input)';
    const head = issue.path[0];
    return `  - ${field} (from ${source(head === undefined ? undefined : String(head))}): ${issue.message}`;
  });
  throw new InputContractError(
    `The input of task '${task}' does not match the input schema of script '${def.id}':\n${lines.join('\n')}\n` +
      `Fix each value at its source (the upstream task's output, the DAG param or constant), or change the input schema in ${def.source.file}.`,
  );
}

function provenance(binding: InputBinding): string {
  switch (binding.from) {
    case 'xcom':
      return binding.path.length ? `task '${binding.task}' field '${binding.path.join('.')}'` : `task '${binding.task}' (its whole output)`;
    case 'param':
      return `param '${binding.name}'`;
    case 'const':
      return 'a constant in the DAG';
  }
}

function describeShape(value: unknown): string {
  if (value === null) return 'got null';
  if (Array.isArray(value)) return `got an array of length ${value.length}`;
  if (typeof value !== 'object') return `got a ${typeof value}`;
  const keys = Object.keys(value);
  return keys.length ? `got keys: ${keys.join(', ')}` : 'got an empty object';
}

function parseJson(text: string, explain: (error: string) => string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputContractError(explain(error instanceof Error ? error.message : String(error)));
  }
}
