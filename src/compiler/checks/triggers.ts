/**
 * Triggers: the DAG started must be compiled in the same build, and the conf must fit its
 * params — every key a param, every value of a type the param accepts, every param without a
 * default given.
 */
import type { DagSpec, TriggerTaskSpec } from '../../dsl/spec.ts';
import type { Check, CheckContext } from './context.ts';
import { describeSource, optionalAlong, sourceSchema } from './contracts.ts';
import { constantSchema, describeSchema, incompatibility } from './schema-compat.ts';

const triggerLabel = (task: TriggerTaskSpec): string => `Trigger '${task.id}'`;

function checkTrigger(context: CheckContext, task: TriggerTaskSpec, target: DagSpec): void {
  const params = new Map(target.params.map((param) => [param.name, param]));
  const label = triggerLabel(task);
  for (const [key, binding] of Object.entries(task.conf)) {
    const at = ['conf', key];
    const param = params.get(key);
    if (!param) {
      const known = [...params.keys()].map((name) => `'${name}'`).join(', ') || 'none';
      context.report('trigger-conf', `${label} conf key '${key}' is not a param of DAG '${target.dagId}' (its params: ${known}). Remove the key or fix its name.`, task, undefined, at);
      continue;
    }
    const source = binding.from === 'const' ? constantSchema(binding.value) : sourceSchema(context, task, binding);
    if (typeof source === 'string') {
      const code = binding.from === 'param' ? 'unknown-param' : binding.from === 'xcom' && !context.byId.has(binding.task) ? 'dangling-reference' : 'xcom-contract';
      context.report(code, `${label} conf '${key}' reads ${describeSource(binding)}, but ${source}.`, task, undefined, at);
      continue;
    }
    if (binding.from === 'xcom' && optionalAlong(context, binding)) {
      context.report('trigger-conf', `${label} conf '${key}' reads ${describeSource(binding)}, which is optional in that task's output, so it may be missing. Make the output field required.`, task, undefined, at);
      continue;
    }
    const problem = incompatibility(source, param.schema);
    if (problem) {
      context.report(
        'trigger-conf',
        `${label} conf '${key}': param '${key}' of DAG '${target.dagId}' is ${describeSchema(param.schema)}, but ${describeSource(binding)} does not fit: ${problem}. Change the value or the param's schema.`,
        task,
        undefined,
        at,
      );
    }
  }
  for (const param of target.params) {
    if (param.default === undefined && !(param.name in task.conf)) {
      context.report('trigger-conf', `${label} leaves out param '${param.name}' of DAG '${target.dagId}', which has no default. Give it in conf: { ${param.name}: … }.`, task);
    }
  }
}

/** `buildDags`: every DAG compiled in this build, by id. */
export function checkTriggers(buildDags: ReadonlyMap<string, DagSpec>): Check {
  return (context) => {
    for (const task of context.spec.tasks) {
      if (task.kind !== 'trigger') continue;
      const target = buildDags.get(task.targetDagId);
      if (!target) {
        const known = [...buildDags.keys()].sort().map((id) => `'${id}'`).join(', ') || 'none';
        context.report(
          'trigger-target',
          `${triggerLabel(task)} starts DAG '${task.targetDagId}', which is not compiled in this build (it compiles: ${known}). Build its *.dag.ts file with this one: a DAG can only trigger DAGs of the same project.`,
          task,
        );
      } else checkTrigger(context, task, target);
    }
  };
}
