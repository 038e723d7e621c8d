/**
 * Request bodies before and after Fastify's schema validation: alternative spellings are
 * moved to their canonical names first (a `preValidation` hook; the same field given twice
 * with different values is a 422 at once), then the routes' JSON Schemas validate, and
 * their errors become the list of offending fields of the 422 answer.
 */
import type { FastifySchemaValidationError } from 'fastify';
import { RequestValidationError } from './errors.ts';
import type { FieldProblem, RecordSchema } from './record-schema.ts';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Normalises a `POST /predict` body in place; throws a 422 for conflicting spellings. */
export function normaliseRecordBody(schema: RecordSchema, body: unknown): void {
  if (!isObject(body)) return; // the schema reports what is wrong with it
  const conflicts = schema.normalise(body, '');
  if (conflicts.length > 0) throw new RequestValidationError(conflicts, 'The record');
}

/** Normalises every record of a `POST /predict/batch` body in place; throws a 422 for conflicting spellings. */
export function normaliseBatchBody(schema: RecordSchema, body: unknown): void {
  if (!isObject(body) || !Array.isArray(body.records)) return;
  const conflicts: FieldProblem[] = [];
  body.records.forEach((record: unknown, i) => {
    if (isObject(record)) conflicts.push(...schema.normalise(record, `records[${i}].`));
  });
  if (conflicts.length > 0) throw new RequestValidationError(conflicts, 'The batch');
}

/** ajv's errors (as Fastify reports them) → one problem per offending field, e.g. `records[3].age`. */
export function problemsFromValidation(errors: readonly FastifySchemaValidationError[]): FieldProblem[] {
  return errors.map((error) => {
    const path = fieldPath(error.instancePath);
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      return { field: joinField(path, params.missingProperty), message: 'is required' };
    }
    if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      return { field: path || '(body)', message: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    return { field: path || '(body)', message: error.message ?? `fails "${error.keyword}"` };
  });
}

/** `/records/3/glyburide-metformin` → `records[3].glyburide-metformin`. */
function fieldPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : joinField(path, part)), '');
}

const joinField = (path: string, name: string) => (path ? `${path}.${name}` : name);
