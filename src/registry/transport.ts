/**
 * HTTP to one MLflow server: URL building, auth header, per-attempt timeout, retries of
 * transient failures (network, 5xx, 429) with backoff, error classification, and zod
 * validation of JSON answers. Everything above it speaks in API paths and typed values.
 */
import type { z } from 'zod';
import { retryAfterMs, withRetries } from '../runtime/retry.ts';
import { MlflowError, MlflowProtocolError, MlflowUnavailableError, errorFromResponse } from './errors.ts';
import { type RetryOptions, type RetryPolicy, retryPolicy } from './retry.ts';

export type MlflowAuth = { token: string } | { username: string; password: string };

export interface RetryEvent {
  method: string;
  path: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

export interface TransportOptions {
  /** http(s)://host:port[/prefix] of the tracking server. Userinfo in it is moved to basic auth. */
  trackingUri: string;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  auth?: MlflowAuth;
  /** Called before each retry (for logging). */
  onRetry?: (event: RetryEvent) => void;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  /** JSON body (POST/PATCH/DELETE). */
  json?: unknown;
  /** Raw body (artifact upload). */
  body?: Uint8Array;
  /** Use the artifact timeout instead of the API timeout. */
  artifact?: boolean;
  /**
   * Not safe to repeat (a create): one attempt only. A lost answer does not mean nothing
   * happened, so the caller looks before it tries again.
   */
  once?: boolean;
}

export interface Transport {
  /** Origin and prefix of the server, without credentials. */
  readonly baseUrl: string;
  readonly policy: RetryPolicy;
  /** A JSON API call; the answer is validated by `schema`. */
  json<S extends z.ZodType>(method: string, path: string, schema: S, options?: RequestOptions): Promise<z.output<S>>;
  /** A call whose answer is bytes (artifact download). */
  bytes(method: string, path: string, options?: RequestOptions): Promise<Buffer>;
}

function parseBase(trackingUri: string, auth: MlflowAuth | undefined): { baseUrl: string; auth: MlflowAuth | undefined } {
  let url: URL;
  try {
    url = new URL(trackingUri);
  } catch {
    throw new MlflowError(`MLflow tracking URI '${trackingUri}' is not a URL; expected http(s)://host:port.`, { method: '-', path: '-' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowError(`MLflow tracking URI must be http(s)://…, got ${url.protocol}// (this client talks to a tracking server, not a local store).`, { method: '-', path: '-' });
  }
  const fromUri = url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  return { baseUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, auth: auth ?? fromUri };
}

function authHeader(auth: MlflowAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if ('token' in auth) return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function describeNetworkError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

export function createTransport(options: TransportOptions): Transport {
  const { baseUrl, auth } = parseBase(options.trackingUri, options.auth);
  const policy = retryPolicy(options.retry);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const headers = authHeader(auth);

  async function send<T>(method: string, path: string, request: RequestOptions, read: (response: Response) => Promise<T>): Promise<T> {
    const url = `${baseUrl}${path}${queryString(request.query)}`;
    const init: RequestInit = { method, headers: { ...headers } };
    if (request.json !== undefined) {
      init.body = JSON.stringify(request.json);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    } else if (request.body !== undefined) {
      init.body = request.body as unknown as BodyInit;
      (init.headers as Record<string, string>)['content-type'] = 'application/octet-stream';
    }
    const timeoutMs = request.artifact ? policy.artifactTimeoutMs : policy.timeoutMs;
    // The server's Retry-After of the attempt that just failed, when it sent one.
    let retryAfter: number | undefined;
    const attemptOnce = async (): Promise<T> => {
      retryAfter = undefined;
      let failure: MlflowError;
      try {
        const response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
        if (response.ok) return await read(response);
        failure = errorFromResponse(method, path, response.status, await response.text());
        retryAfter = retryAfterMs(response.headers.get('retry-after'), policy.maxDelayMs);
      } catch (error) {
        if (error instanceof MlflowError) throw error;
        throw new MlflowUnavailableError(`MLflow ${method} ${path} at ${baseUrl} failed: ${describeNetworkError(error)}`, { method, path }, { cause: error });
      }
      throw failure;
    };
    try {
      return await withRetries(attemptOnce, {
        retryable: (error) => error instanceof MlflowError && error.retryable,
        delayFor: () => retryAfter,
        onRetry: (error, attempt, delayMs) => options.onRetry?.({ method, path, attempt, attempts: policy.attempts, delayMs, reason: (error as MlflowError).message }),
      }, request.once ? { ...policy, attempts: 1 } : policy);
    } catch (error) {
      // A retryable failure gets here only when every attempt was used.
      if (error instanceof MlflowError && error.retryable && policy.attempts > 1 && !request.once) error.message += ` (gave up after ${policy.attempts} attempts)`;
      throw error;
    }
  }

  return {
    baseUrl,
    policy,
    json(method, path, schema, request = {}) {
      return send(method, path, request, async (response) => {
        const text = await response.text();
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          throw new MlflowProtocolError(`MLflow ${method} ${path} answered HTTP ${response.status} with non-JSON (${text.slice(0, 80)}…). Is the tracking URI an MLflow server?`, { method, path, status: response.status });
        }
        const parsed = schema.safeParse(body);
        if (!parsed.success) {
          throw new MlflowProtocolError(`MLflow ${method} ${path} answered with an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
            method,
            path,
            status: response.status,
          });
        }
        return parsed.data;
      });
    },
    bytes(method, path, request = {}) {
      return send(method, path, { ...request, artifact: true }, async (response) => Buffer.from(await response.arrayBuffer()));
    },
  };
}
