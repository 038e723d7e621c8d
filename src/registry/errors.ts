/**
 * One error hierarchy for everything the MLflow client can fail with. Classification follows
 * MLflow's `error_code` first (MLflow answers "already exists" with 400, and a missing alias
 * with 400 INVALID_PARAMETER_VALUE), the HTTP status second. Messages carry method, path,
 * status and code — never headers, credentials or the tracking URI's userinfo.
 *
 * They extend the runtime's TaskError: `retryable` is true only for MlflowUnavailableError
 * (network, 5xx, 429 — after the client's own retries ran out), so a task script failing
 * with a 4xx exits non-retryable and does not burn Airflow retries.
 */
import { TaskError } from '../runtime/errors.ts';

export interface MlflowErrorDetails {
  /** MLflow's error_code (RESOURCE_DOES_NOT_EXIST, …) when the server sent one. */
  errorCode?: string;
  /** HTTP status, when there was an answer. */
  status?: number;
  method: string;
  /** Request path without the query string. */
  path: string;
}

export class MlflowError extends TaskError {
  readonly errorCode: string | undefined;
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(message: string, details: MlflowErrorDetails, retryable = false, options?: ErrorOptions) {
    super(message, retryable, options);
    this.errorCode = details.errorCode;
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
  }
}

/** RESOURCE_DOES_NOT_EXIST: no such experiment, run, model, version or artifact. */
export class MlflowNotFoundError extends MlflowError {}
/** RESOURCE_ALREADY_EXISTS (HTTP 400), or a name held by a deleted entity. */
export class MlflowConflictError extends MlflowError {}
/** INVALID_PARAMETER_VALUE and other 4xx answers: the request is wrong; retrying cannot help. */
export class MlflowBadRequestError extends MlflowError {}
/** 401/403: credentials refused, or (403 "Invalid Host header") the server's --allowed-hosts excludes our host. */
export class MlflowAuthError extends MlflowError {}
/** Network failure, timeout, 5xx or 429: retried inside the client; thrown once the attempts are used up. */
export class MlflowUnavailableError extends MlflowError {
  constructor(message: string, details: MlflowErrorDetails, options?: ErrorOptions) {
    super(message, details, true, options);
  }
}
/** The answer is not what an MLflow server sends (not JSON, wrong shape, an unknown endpoint). */
export class MlflowProtocolError extends MlflowError {}
/** A model version ended in FAILED_REGISTRATION, or did not become READY in time (then retryable). */
export class MlflowRegistrationError extends MlflowError {}

const RETRYABLE_CODES = new Set(['TEMPORARILY_UNAVAILABLE', 'REQUEST_LIMIT_EXCEEDED', 'INTERNAL_ERROR']);
const MAX_SERVER_MESSAGE = 400;

function serverMessage(body: string): { errorCode?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { error_code?: unknown; message?: unknown; detail?: unknown };
    const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.detail === 'string' ? parsed.detail : undefined;
    return { errorCode: typeof parsed.error_code === 'string' ? parsed.error_code : undefined, message };
  } catch {
    return {};
  }
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_SERVER_MESSAGE ? `${oneLine.slice(0, MAX_SERVER_MESSAGE)}…` : oneLine;
}

/** The error for a non-2xx answer. */
export function errorFromResponse(method: string, path: string, status: number, body: string): MlflowError {
  const { errorCode, message } = serverMessage(body);
  const details = { errorCode, status, method, path };
  const what = `MLflow ${method} ${path} failed: HTTP ${status}${errorCode ? ` ${errorCode}` : ''}`;
  const said = message ? `: ${shorten(message)}` : '';
  if (errorCode === 'RESOURCE_DOES_NOT_EXIST') return new MlflowNotFoundError(`${what}${said}`, details);
  if (errorCode === 'RESOURCE_ALREADY_EXISTS') return new MlflowConflictError(`${what}${said}`, details);
  if (status >= 500 || status === 429 || (errorCode && RETRYABLE_CODES.has(errorCode))) {
    return new MlflowUnavailableError(`${what}${said || (body ? `: ${shorten(body)}` : '')}`, details);
  }
  if (status === 403 && /invalid host header/i.test(body)) {
    return new MlflowAuthError(
      `${what}: the server rejected our Host header (MLflow ≥3.5 DNS-rebinding check). Start it with --allowed-hosts including the host:port in MLFLOW_TRACKING_URI.`,
      details,
    );
  }
  if (status === 401 || status === 403 || errorCode === 'UNAUTHENTICATED' || errorCode === 'PERMISSION_DENIED') {
    return new MlflowAuthError(`${what}${said}. Check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN.`, details);
  }
  if (!errorCode && !message) {
    return new MlflowProtocolError(`${what} with a non-MLflow answer (${shorten(body) || 'empty body'}). Is the tracking URI an MLflow server, and this endpoint supported by its version?`, details);
  }
  return new MlflowBadRequestError(`${what}${said}`, details);
}

/** True when MLflow answered a lookup of a missing alias (400 INVALID_PARAMETER_VALUE "…alias … not found"). */
export function isMissingAlias(error: unknown): boolean {
  return error instanceof MlflowBadRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(error.message);
}
