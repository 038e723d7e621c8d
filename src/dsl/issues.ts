/**
 * zod issues → the project's sentences (construct, quoted entity, rule, fix), each with the
 * path of the offending option so the compiler can point at its line. No raw zod text leaks:
 * unknown keys get a did-you-mean from the schema's own keys, dates and durations their
 * expected format, non-ASCII look-alikes their code points.
 */
import type { z } from 'zod';

export type OptionPath = readonly (string | number)[];

export interface OptionProblem {
  readonly path: OptionPath;
  readonly message: string;
}

type Issue = z.core.$ZodIssue & { readonly input?: unknown };
type AnySchema = z.core.$ZodType;

const DURATION_KEYS = new Set(['retryDelay', 'maxRetryDelay', 'executionTimeout', 'dagrunTimeout', 'startupTimeout', 'every']);
const DURATION_FORM = 'an object such as { minutes: 5 } with any of days, hours, minutes, seconds (numbers ≥ 0)';

/** Ends `text` with a full stop unless it already ends a sentence. */
export const sentence = (text: string): string => (/[.?!]$/.test(text) ? text : `${text}.`);
const DATE_FORM = "'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ' (UTC), e.g. '2024-01-01'";

/** `defaultArgs.retryDelay`, `tags[2]`. */
export function pathText(path: OptionPath): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index ? `.${key}` : key)).join('');
}

/** A short, readable rendering of a value for messages. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return String(value);
  }
}

/** `'е' (U+0435)` for every non-ASCII character of `text`, or undefined if there is none. */
export function nonAscii(text: string): string | undefined {
  const found = [...new Set([...text].filter((c) => c.codePointAt(0)! > 0x7e))];
  if (!found.length) return undefined;
  return found.map((c) => `'${c}' (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`).join(', ');
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known key closest to `key`, when it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

/** Unwraps optional/default/nullable/pipe wrappers. */
function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 10; depth += 1) {
    const def = current._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, AnySchema>;
  readonly options?: readonly AnySchema[];
  readonly valueType?: AnySchema;
  readonly element?: AnySchema;
}
const defOf = (schema: AnySchema | undefined): SchemaDef | undefined => unwrap(schema)?._zod.def as SchemaDef | undefined;

/** The schemas found one key down (objects, every option of a union, record values, array items). */
function childSchemas(schema: AnySchema, key: string | number): AnySchema[] {
  const def = defOf(schema);
  if (def?.type === 'object') return def.shape?.[key as string] ? [def.shape[key as string]!] : [];
  if (def?.type === 'union') return (def.options ?? []).flatMap((option) => childSchemas(option, key));
  if (def?.type === 'record') return def.valueType ? [def.valueType] : [];
  if (def?.type === 'array') return def.element ? [def.element] : [];
  return [];
}

function ownKeys(schema: AnySchema): string[] {
  const def = defOf(schema);
  if (def?.type === 'object') return Object.keys(def.shape ?? {});
  if (def?.type === 'union') return [...new Set((def.options ?? []).flatMap(ownKeys))];
  return [];
}

/** The object keys the schema accepts at `path`. */
function keysAt(schema: AnySchema, path: OptionPath): string[] {
  let nodes: AnySchema[] = [schema];
  for (const key of path) nodes = nodes.flatMap((node) => childSchemas(node, key));
  return [...new Set(nodes.flatMap(ownKeys))];
}

function expectedForm(path: OptionPath): string | undefined {
  const last = path[path.length - 1];
  if (last === 'startDate') return `a date, ${DATE_FORM}`;
  if (typeof last === 'string' && DURATION_KEYS.has(last)) return `a duration, ${DURATION_FORM}`;
  return undefined;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** "it must be …" from a schema's message ("a Kubernetes namespace name"); zod's own wording starts with "Invalid". */
function expectation(message: string | undefined, fallback: string): string {
  if (!message || message.startsWith('Invalid')) return `it must be ${fallback}`;
  return /^(must|it)\b/.test(message) ? (message.startsWith('must') ? `it ${message}` : message) : `it must be ${message}`;
}

/** Why one issue fails, without the subject: "is 'x', not a date; write …". */
function rule(issue: Issue): string {
  const form = expectedForm(issue.path as OptionPath);
  const input = issue.input;
  if (issue.code === 'invalid_type' && input === undefined) return `is required${form ? `: ${form}` : ` (${issue.expected})`}`;
  if (form && (issue.code === 'invalid_type' || issue.code === 'invalid_format' || issue.code === 'invalid_union')) {
    return `is ${showValue(input)}, which is not ${form}`;
  }
  const ascii = typeof input === 'string' ? nonAscii(input) : undefined;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}, not ${typeName(input)} (${showValue(input)})`;
    case 'invalid_value':
      return `is ${showValue(input)}, but must be one of ${issue.values.map((v) => showValue(v)).join(', ')}${typeof input === 'string' && closest(input, issue.values.map(String)) ? `. Did you mean ${showValue(closest(input, issue.values.map(String)))}?` : ''}`;
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1 ? 'must not be empty' : `is ${showValue(input)}, but must be ${issue.inclusive === false ? '>' : '≥'} ${issue.minimum}${issue.origin === 'string' ? ' characters long' : ''}`;
    case 'too_big':
      return `${issue.origin === 'string' ? `is ${String(input).length} characters` : `is ${showValue(input)}`}, but must be ${issue.inclusive === false ? '<' : '≤'} ${issue.maximum}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'invalid_format': {
      const expected = expectation(issue.message, `a valid ${issue.format === 'regex' ? 'value' : issue.format}`);
      return `is ${showValue(input)}${ascii ? `, which contains the non-ASCII character ${ascii} (a look-alike of an ASCII character?)` : ''}; ${expected}`;
    }
    case 'invalid_key':
      return `has the key ${showValue(input)}, which is refused; ${issue.issues.map((inner) => expectation(inner.message, 'a valid key')).join('; ')}`;
    case 'invalid_union':
      return `is ${showValue(input)}, which fits none of the accepted forms`;
    case 'custom':
      return issue.message.startsWith('is ') ? issue.message : `is ${showValue(input)}: ${issue.message}`;
    default:
      return `is ${showValue(input)}: ${issue.message}`;
  }
}

/**
 * Sentences for every issue. `subject` names the construct (`DAG 'x'`, `Task 'y'`); unknown keys
 * get a did-you-mean from `schema`, and a required key that an unknown key was a typo of is
 * not reported twice.
 */
export function describeIssues(schema: AnySchema, issues: readonly Issue[], subject: string): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const explainedMissing = new Set<string>();
  const withUnknownKeys = new Set(issues.filter((issue) => issue.code === 'unrecognized_keys').map((issue) => pathText(issue.path as OptionPath)));
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = keysAt(schema, issue.path as OptionPath);
    for (const key of issue.keys) {
      const path = [...(issue.path as OptionPath), key];
      const guess = closest(key, known);
      if (guess) explainedMissing.add(pathText([...(issue.path as OptionPath), guess]));
      const ascii = nonAscii(key);
      const hint = guess ? `Did you mean '${guess}'?` : `Known options${issue.path.length ? ` of '${pathText(issue.path as OptionPath)}'` : ''}: ${known.join(', ')}.`;
      problems.push({ path, message: `${subject} has an unknown option '${pathText(path)}'${ascii ? ` (it contains ${ascii})` : ''}. ${hint}` });
    }
  }
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') continue;
    const path = issue.path as OptionPath;
    // A typo'd key also makes its intended key missing, and its object look incomplete: say it once.
    if (issue.input === undefined && explainedMissing.has(pathText(path))) continue;
    if (withUnknownKeys.has(pathText(path))) continue;
    const discriminator = issue.code === 'invalid_union' ? (issue as { discriminator?: string }).discriminator : undefined;
    const because = discriminator ? discriminatorRule(schema, path, issue.input) : rule(issue);
    problems.push({ path, message: sentence(`${subject} option '${pathText(path) || '(options)'}' ${because}`) });
  }
  return problems;
}

/** A discriminated union (a runner's `kind`) whose tag matches no option: name the tags it accepts. */
function discriminatorRule(schema: AnySchema, path: OptionPath, input: unknown): string {
  const key = path[path.length - 1];
  let nodes: AnySchema[] = [schema];
  for (const step of path.slice(0, -1)) nodes = nodes.flatMap((node) => childSchemas(node, step));
  const tags = nodes.flatMap((node) => childSchemas(node, key!)).flatMap((tag) => ((defOf(tag) as { values?: unknown[] } | undefined)?.values ?? []));
  const given = input && typeof input === 'object' ? (input as Record<string, unknown>)[key as string] : input;
  const guess = typeof given === 'string' ? closest(given, tags.map(String)) : undefined;
  return `is ${showValue(given)}, but must be one of ${tags.map(showValue).join(', ')}${guess ? `. Did you mean ${showValue(guess)}?` : ''}`;
}

/** A one-line reason for a value failing a schema (for param defaults). */
export function issueReason(issue: Issue): string {
  const where = issue.path.length ? `'${pathText(issue.path as OptionPath)}' ` : '';
  return `${where}${rule(issue)}`;
}
