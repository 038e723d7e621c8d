/**
 * The Markdown Airflow shows as the DAG's and each task's docs (doc_md). An explicit DSL `doc`
 * wins over the source's doc comment; a DAG whose schedule the deployment may override ends
 * with how to do it; a Node task's doc ends with its inputs (field → param, upstream output or
 * constant) and output fields, a trigger's with its target and conf, generated from the IR.
 */
import type { InputBinding } from '../../runtime/index.ts';
import type { DagSpec, JsonSchema, NodeTaskSpec, ScheduleSpec, TaskSpec, TriggerTaskSpec } from '../../dsl/spec.ts';
import type { DocComments } from '../doc-comments.ts';

/** Longest constant shown in a task's inputs; longer ones end in `…`. */
const CONSTANT_WIDTH = 80;

export function dagDoc(spec: DagSpec, comments: DocComments | undefined): string | undefined {
  const prose = spec.doc ?? (spec.source && comments?.fileDoc(spec.source.file));
  if (spec.scheduleEnv === undefined) return prose;
  return [prose, scheduleSection(spec.schedule, spec.scheduleEnv)].filter((part) => part !== undefined).join('\n\n');
}

/** How an operator replaces the default schedule, for the DAG's docs in the UI. */
function scheduleSection(schedule: ScheduleSpec, variable: string): string {
  return [
    `**Schedule:** ${scheduleText(schedule)} by default. To change it without rebuilding, set the environment variable`,
    `${code(variable)} where Airflow parses DAG files (the DAG processor) to a cron expression such as ${code('0 */6 * * *')}`,
    `or a preset such as ${code('@daily')}; unset or blank keeps the default. The DAG's details in the UI show the schedule in effect.`,
  ].join('\n');
}

function scheduleText(schedule: ScheduleSpec): string {
  if (schedule.kind === 'none') return 'none';
  if (schedule.kind === 'interval') return `every ${intervalText(schedule.seconds)}`;
  return code(schedule.value);
}

/** `3 hours`, `1 day 30 minutes`, `90 seconds`: whole units, largest first. */
function intervalText(seconds: number): string {
  const units: [string, number][] = [['day', 86_400], ['hour', 3_600], ['minute', 60], ['second', 1]];
  let left = seconds;
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = unit === 'second' ? left : Math.floor(left / size);
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
    left -= unit === 'second' ? left : count * size;
  }
  return parts.join(' ') || '0 seconds';
}

export function taskDoc(task: TaskSpec, comments: DocComments | undefined): string | undefined {
  if (task.kind === 'trigger') return [task.doc, triggerSection(task)].filter((part) => part !== undefined).join('\n\n');
  if (task.kind !== 'node') return task.doc;
  const prose = task.doc ?? (task.scriptSource && comments?.declarationDoc(task.scriptSource));
  return [prose, inputsSection(task), outputSection(task.outputSchema)].filter((part) => part !== undefined).join('\n\n');
}

/** A Markdown code span holding `text`, safe inside a table cell. */
function code(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padded = longestRun ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\|/g, '\\|')}${fence}`;
}

function properties(schema: JsonSchema): Record<string, JsonSchema> {
  return (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
}

function constant(value: unknown): string {
  const json = JSON.stringify(value) ?? 'undefined';
  return json.length > CONSTANT_WIDTH ? `${json.slice(0, CONSTANT_WIDTH - 1)}…` : json;
}

function bindingSource(binding: InputBinding): string {
  if (binding.from === 'param') return `param ${code(binding.name)}`;
  if (binding.from === 'const') return `constant ${code(constant(binding.value))}`;
  return binding.path.length ? `field ${code(binding.path.join('.'))} of ${code(binding.task)}'s output` : `output of ${code(binding.task)}`;
}

function inputsSection(task: NodeTaskSpec): string {
  const declared = properties(task.inputSchema);
  const fields = [...new Set([...Object.keys(declared), ...Object.keys(task.bindings)])];
  if (!fields.length) return '**Inputs:** none.';
  const required = new Set((task.inputSchema.required as string[] | undefined) ?? []);
  const unbound = (field: string): string => {
    const property = declared[field] ?? {};
    if ('default' in property) return `its default ${code(constant(property.default))}`;
    return required.has(field) ? 'not given' : 'not given (optional)';
  };
  const rows = fields.map((field) => {
    const binding = task.bindings[field];
    return `| ${code(field)} | ${binding ? bindingSource(binding) : unbound(field)} |`;
  });
  return ['**Inputs**', '', '| field | from |', '| --- | --- |', ...rows].join('\n');
}

/** What a trigger starts, whether it waits, and the conf it passes (key → where the value comes from). */
function triggerSection(task: TriggerTaskSpec): string {
  const starts = `Starts a run of ${code(task.targetDagId)}${task.waitForCompletion ? ' and waits until it ends' : ' (does not wait for it)'}.`;
  const keys = Object.keys(task.conf);
  if (!keys.length) return `${starts} **Conf:** none (the target's defaults).`;
  const rows = keys.map((key) => `| ${code(key)} | ${bindingSource(task.conf[key]!)} |`);
  return [starts, '', "**Conf** (the target's params; the others keep their defaults)", '', '| param | from |', '| --- | --- |', ...rows].join('\n');
}

function outputSection(schema: JsonSchema): string {
  const fields = Object.entries(properties(schema));
  if (!fields.length) return '**Output:** no fields.';
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = fields.map(([field, property]) => `| ${code(field)} | ${typeOf(property)}${required.has(field) ? '' : ' (optional)'} |`);
  return ['**Output** (the XCom `return_value`)', '', '| field | type |', '| --- | --- |', ...rows].join('\n');
}

/** A short reading of a JSON Schema: `string`, `array of number`, `one of 'A', 'B'`, `integer or null`. */
function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((value) => code(JSON.stringify(value))).join(', ')}`;
  if ('const' in schema) return code(JSON.stringify(schema.const));
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return [...new Set(union.map(typeOf))].join(' or ');
  if (Array.isArray(schema.type)) return schema.type.join(' or ');
  if (schema.type === 'array') return schema.items ? `array of ${typeOf(schema.items as JsonSchema)}` : 'array';
  return typeof schema.type === 'string' ? schema.type : 'any JSON';
}
