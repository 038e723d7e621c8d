/**
 * Error responses: one JSON shape for every 4xx/5xx the service sends, and the last-resort
 * mapping that keeps bad input out of the 5xx range.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError } from 'fastify';
import { HealthPredictError } from '../runtime/errors.ts';
import type { FieldProblem } from './record-schema.ts';

export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
  readonly fields?: readonly FieldProblem[];
}

export const errorBodySchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    fields: {
      type: 'array',
      description: 'The offending fields (422 only)',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** An error that is the client's to fix, sent with its status code. */
export class HttpError extends HealthPredictError {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly fields?: readonly FieldProblem[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A batch of bad records lists at most this many fields (the response stays small). */
const MAX_LISTED_FIELDS = 100;

/** The body failed validation: 422 listing every offending field. */
export class RequestValidationError extends HttpError {
  constructor(problems: readonly FieldProblem[], what: string) {
    const shown = problems.slice(0, 5).map((p) => `${p.field}: ${p.message}`).join('; ');
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    const listed = problems.length > MAX_LISTED_FIELDS ? ` (the first ${MAX_LISTED_FIELDS} of ${problems.length})` : '';
    super(422, `${what} is invalid (${shown}${more}). Fix the fields listed in "fields"${listed}; GET /openapi.json describes the request.`,
      problems.slice(0, MAX_LISTED_FIELDS));
  }
}

/** The model is not loaded (yet, or any more): 503 with the reason. */
export class NotReadyError extends HttpError {
  constructor(reason: string) {
    super(503, `The model is not ready: ${reason}. Retry when GET /ready answers 200.`);
  }
}

export function errorBody(statusCode: number, message: string, fields?: readonly FieldProblem[]): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(fields ? { fields } : {}) };
}

/** Fastify's errors for a JSON body that does not parse (or is empty): the origin service (FastAPI) answered them 422. */
const UNPARSABLE_JSON_CODES: ReadonlySet<string> = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** A body that is not valid JSON: 422, as the origin service answered it. */
export function isUnparsableJson(error: unknown): boolean {
  return error instanceof SyntaxError || UNPARSABLE_JSON_CODES.has(String((error as Partial<FastifyError> | null)?.code));
}

/**
 * The status to answer for an error thrown anywhere in a request. Our own HttpErrors keep
 * theirs; a body that is not valid JSON is a 422; Fastify's other client errors (media type,
 * body size: codes FST_ERR_CTP_*, and errors carrying a 4xx status) keep their status;
 * everything else is a 500, i.e. our bug.
 */
export function statusFor(error: unknown): number {
  if (error instanceof HttpError) return error.statusCode;
  if (typeof error !== 'object' || error === null) return 500;
  const status = (error as { statusCode?: unknown }).statusCode;
  if ((error as Partial<FastifyError>).validation) return 422;
  if (isUnparsableJson(error)) return 422;
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  return 500;
}

/** The client-facing message: a 5xx never exposes internals. */
export function publicMessage(error: unknown, status: number): string {
  if (status >= 500 && !(error instanceof HttpError)) return 'Internal error while handling the request; it has been logged.';
  return error instanceof Error ? error.message : String(error);
}
