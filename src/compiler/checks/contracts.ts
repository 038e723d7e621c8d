/** XCom and param contracts: every input is bound, and bound to something that fits. */
import { z } from 'zod';
import type { FailureHandlerSpec, JsonSchema, NodeTaskSpec, TaskSpec } from '../../dsl/spec.ts';
import type { InputBinding } from '../../runtime/contract.ts';
import { FAILURE_INPUT_FIELD, taskFailureSchema } from '../../runtime/failure.ts';
import { ancestors, type Check, type CheckContext } from './context.ts';
import { describeSchema, fieldNames, incompatibility, jsonType, schemaAt } from './schema-compat.ts';

const FAILURE_SCHEMA = z.toJSONSchema(taskFailureSchema, { io: 'output' }) as JsonSchema;

export function describeSource(binding: InputBinding): string {
  if (binding.from === 'xcom') return binding.path.length ? `task '${binding.task}' field '${binding.path.join('.')}'` : `the output of task '${binding.task}'`;
  if (binding.from === 'param') return `param '${binding.name}'`;
  return `the constant ${JSON.stringify(binding.value)}`;
}

/** The schema of what a binding delivers, or a message saying why there is none. */
export function sourceSchema(context: CheckContext, consumer: TaskSpec, binding: InputBinding): JsonSchema | string {
  if (binding.from === 'const') return { const: binding.value, type: jsonType(binding.value) };
  if (binding.from === 'param') {
    const param = context.spec.params.find((p) => p.name === binding.name);
    return param ? param.schema : `param '${binding.name}' is not declared by DAG '${context.spec.dagId}'`;
  }
  const producer = context.byId.get(binding.task);
  if (!producer) return `task '${binding.task}' is not part of DAG '${context.spec.dagId}'`;
  if (producer.kind !== 'node') return `task '${binding.task}' is a ${producer.kind} task and pushes no typed output`;
  if (!ancestors(context, consumer.id).has(producer.id)) return `task '${binding.task}' is not upstream of '${consumer.id}', so its XCom may not exist yet`;
  const schema = schemaAt(producer.outputSchema, binding.path);
  if (!schema) {
    const parent = schemaAt(producer.outputSchema, binding.path.slice(0, -1));
    return `task '${producer.id}' does not output field '${binding.path.join('.')}' (it outputs: ${fieldNames(parent).join(', ') || 'no fields'})`;
  }
  return schema;
}

/** Whether some key on the binding's path is not required in the producer's output. */
export function optionalAlong(context: CheckContext, binding: Extract<InputBinding, { from: 'xcom' }>): boolean {
  const producer = context.byId.get(binding.task);
  if (producer?.kind !== 'node') return false;
  return binding.path.some((key, index) => {
    const parent = schemaAt(producer.outputSchema, binding.path.slice(0, index));
    return !((parent?.required ?? []) as string[]).includes(key);
  });
}

function checkTask(context: CheckContext, task: NodeTaskSpec): void {
  const inputs = (task.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((task.inputSchema.required ?? []) as string[]);
  for (const [field, binding] of Object.entries(task.bindings)) {
    const target = inputs[field];
    if (!target) {
      context.report('xcom-contract', `Task '${task.id}' binds input '${field}', but script '${task.script}' has no such input (it takes: ${Object.keys(inputs).join(', ') || 'nothing'}). Remove the binding or fix its name.`, task);
      continue;
    }
    const source = sourceSchema(context, task, binding);
    if (typeof source === 'string') {
      const code = binding.from === 'param' ? 'unknown-param' : binding.from === 'xcom' && !context.byId.has(binding.task) ? 'dangling-reference' : 'xcom-contract';
      context.report(code, `Task '${task.id}' input '${field}' reads ${describeSource(binding)}, but ${source}.`, task);
      continue;
    }
    if (binding.from === 'xcom' && required.has(field) && optionalAlong(context, binding)) {
      context.report(
        'xcom-contract',
        `Task '${task.id}' input '${field}' is required, but ${describeSource(binding)} is optional in that task's output, so it may be missing. Make the output field required, or the input optional.`,
        task,
      );
      continue;
    }
    const problem = incompatibility(source, target);
    if (problem) {
      context.report(
        'xcom-contract',
        `Task '${task.id}' input '${field}' expects ${describeSchema(target)}, but ${describeSource(binding)} does not fit: ${problem}. Change the binding or one of the two schemas.`,
        task,
      );
    }
  }
  for (const field of required) {
    if (!(field in task.bindings)) {
      const upstream = task.upstream.length ? ` (its upstream: ${task.upstream.map((u) => `'${u}'`).join(', ')})` : '';
      context.report('xcom-contract', `Task '${task.id}' input '${field}' (${describeSchema(inputs[field])}) is required but nothing provides it${upstream}. Bind it: inputs: { ${field}: <task>.field('…') | d.params.… | a constant }.`, task);
    }
  }
}

/** The failure handler takes `failure` (filled by the callback) and params/constants for the rest. */
function checkFailureHandler(context: CheckContext, handler: FailureHandlerSpec): void {
  const where = handler.source;
  const label = `Failure handler '${handler.script}'`;
  const inputs = (handler.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((handler.inputSchema.required ?? []) as string[]);
  const failure = inputs[FAILURE_INPUT_FIELD];
  const problem = failure ? incompatibility(FAILURE_SCHEMA, failure) : 'it has no such input';
  if (problem) {
    context.report('xcom-contract', `${label} must take input '${FAILURE_INPUT_FIELD}' of type taskFailureSchema (from the runtime), but ${problem}.`, undefined, where);
  }
  for (const [field, binding] of Object.entries(handler.bindings)) {
    const target = inputs[field];
    const source = binding.from === 'param' ? context.spec.params.find((p) => p.name === binding.name)?.schema : { const: binding.value, type: jsonType(binding.value) };
    if (!target) context.report('xcom-contract', `${label} binds input '${field}', but the script has no such input (it takes: ${Object.keys(inputs).join(', ')}).`, undefined, where);
    else if (!source) context.report('unknown-param', `${label} input '${field}' reads ${describeSource(binding)}, but DAG '${context.spec.dagId}' declares no such param.`, undefined, where);
    else {
      const mismatch = incompatibility(source, target);
      if (mismatch) context.report('xcom-contract', `${label} input '${field}' expects ${describeSchema(target)}, but ${describeSource(binding)} does not fit: ${mismatch}.`, undefined, where);
    }
  }
  for (const field of required) {
    if (field !== FAILURE_INPUT_FIELD && !(field in handler.bindings)) {
      context.report('xcom-contract', `${label} input '${field}' is required but nothing provides it. Bind it in onFailure(…, { inputs: { ${field}: d.params.… } }).`, undefined, where);
    }
  }
}

export const checkContracts: Check = (context) => {
  if (context.spec.onFailure) checkFailureHandler(context, context.spec.onFailure);
  for (const task of context.spec.tasks) {
    if (task.kind === 'node') checkTask(context, task);
    if (task.kind === 'branch') {
      const binding: InputBinding = task.on;
      const source = sourceSchema(context, task, binding);
      if (typeof source === 'string') {
        context.report(task.on.from === 'param' ? 'unknown-param' : 'branch-source', `Branch '${task.id}' decides on ${describeSource(binding)}, but ${source}.`, task);
      } else if (incompatibility(source, { type: 'string' })) {
        context.report('branch-source', `Branch '${task.id}' decides on ${describeSource(binding)}, which is ${describeSchema(source)}; a decision must be a string (ideally an enum).`, task);
      }
    }
  }
};
