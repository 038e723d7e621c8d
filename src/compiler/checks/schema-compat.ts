/**
 * Is every value valid under `source` also valid under `target`? A structural check over
 * the JSON Schema subset zod emits (type, enum/const, properties/required, items, anyOf).
 * Unknown keywords are treated leniently: the runtime re-validates with zod anyway.
 */
import type { JsonSchema } from '../../dsl/spec.ts';

type Schema = JsonSchema;

function types(schema: Schema): Set<string> | undefined {
  if (schema.const !== undefined) return new Set([jsonType(schema.const)]);
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map(jsonType));
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  return undefined;
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function accepts(targetTypes: Set<string>, type: string): boolean {
  return targetTypes.has(type) || (type === 'integer' && targetTypes.has('number'));
}

/** One line describing a schema, for messages: `string`, `'A' | 'B'`, `number | null`. */
export function describeSchema(schema: Schema | undefined): string {
  if (!schema) return 'nothing';
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).map(describeSchema).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const t = types(schema);
  if (!t) return 'any JSON value';
  return [...t].map((type) => (type === 'array' && schema.items ? `${describeSchema(schema.items as Schema)}[]` : type)).join(' | ');
}

/** undefined when compatible; otherwise why not, with the JSON path of the first mismatch. */
export function incompatibility(source: Schema, target: Schema, path = ''): string | undefined {
  const here = path || 'the value';
  if (Array.isArray(source.anyOf)) {
    for (const option of source.anyOf as Schema[]) {
      const problem = incompatibility(option, target, path);
      if (problem) return problem;
    }
    return undefined;
  }
  if (Array.isArray(target.anyOf)) {
    const options = target.anyOf as Schema[];
    return options.some((option) => !incompatibility(source, option, path)) ? undefined : `${here} is ${describeSchema(source)}, expected ${describeSchema(target)}`;
  }
  const targetTypes = types(target);
  const sourceTypes = types(source);
  if (targetTypes && sourceTypes) {
    const wrong = [...sourceTypes].filter((type) => !accepts(targetTypes, type));
    if (wrong.length) return `${here} is ${describeSchema(source)}, expected ${describeSchema(target)}`;
  }
  const targetValues = target.const !== undefined ? [target.const] : (target.enum as unknown[] | undefined);
  if (targetValues) {
    const sourceValues = source.const !== undefined ? [source.const] : (source.enum as unknown[] | undefined);
    const json = new Set(targetValues.map((v) => JSON.stringify(v)));
    if (!sourceValues || sourceValues.some((v) => !json.has(JSON.stringify(v)))) {
      return `${here} is ${describeSchema(source)}, expected ${describeSchema(target)}`;
    }
  }
  if (target.properties || target.required) {
    const sourceProps = (source.properties ?? {}) as Record<string, Schema>;
    const sourceRequired = new Set((source.required ?? []) as string[]);
    for (const name of (target.required ?? []) as string[]) {
      if (!(name in sourceProps)) return `${path ? `${path}.` : ''}${name} is required but never provided`;
      if (!sourceRequired.has(name)) return `${path ? `${path}.` : ''}${name} is required but may be missing`;
    }
    for (const [name, schema] of Object.entries((target.properties ?? {}) as Record<string, Schema>)) {
      const provided = sourceProps[name];
      if (!provided) continue;
      const problem = incompatibility(provided, schema, path ? `${path}.${name}` : name);
      if (problem) return problem;
    }
    if (target.additionalProperties === false) {
      const extra = Object.keys(sourceProps).filter((name) => !(name in ((target.properties ?? {}) as object)));
      if (extra.length) return `${path ? `${path}.` : ''}${extra[0]} is provided but not allowed`;
    }
  }
  if (target.items && source.items) return incompatibility(source.items as Schema, target.items as Schema, `${path}[]`);
  return undefined;
}

/**
 * The narrowest schema of a JSON constant: an object lists its keys as required properties and
 * an array its elements' schemas, so a constant object or list is checked field by field.
 */
export function constantSchema(value: unknown): Schema {
  if (Array.isArray(value)) return value.length ? { type: 'array', items: { anyOf: value.map(constantSchema) } } : { type: 'array' };
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return { type: 'object', properties: Object.fromEntries(entries.map(([key, item]) => [key, constantSchema(item)])), required: entries.map(([key]) => key) };
  }
  return { const: value, type: jsonType(value) };
}

/** The schema of `path` inside `schema`, or undefined when the field does not exist. */
export function schemaAt(schema: Schema, path: readonly string[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const key of path) current = (current?.properties as Record<string, Schema> | undefined)?.[key];
  return current;
}

export function fieldNames(schema: Schema | undefined): string[] {
  return Object.keys((schema?.properties ?? {}) as object);
}
