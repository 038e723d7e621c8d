/**
 * Object store access by URI: `s3://bucket/key` (AWS SDK v3) and `file:///absolute/path`.
 *
 * Retries are ours and visible: the SDK client is created with `maxAttempts: 1` (its own retry
 * layer off) and every S3 call goes through `withRetry`, which retries transient failures
 * (network errors, timeouts, HTTP 5xx, throttling) with capped exponential backoff and equal
 * jitter — delay = d/2 + U(0, d/2) with d = min(maxDelayMs, baseDelayMs · 2^(attempt-1)) — and
 * logs each retry with its attempt number. When the attempts run out the error is retryable
 * (exit 1): Airflow retries the task later. Failures retrying cannot fix are NOT retried:
 * a missing object or bucket → BadDataError, refused or missing credentials →
 * CredentialsRefusedError, any other 4xx → NonRetryableError (all exit 97).
 *
 * Configuration: endpoint from the option, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL
 * (path-style addressing whenever an endpoint is set, as moto/MinIO need); region from the
 * option, AWS_REGION, AWS_DEFAULT_REGION, else us-east-1; credentials from the SDK's default
 * chain. Retry knobs: options, else HP_S3_MAX_ATTEMPTS (default 5), HP_S3_RETRY_BASE_MS
 * (1000), HP_S3_RETRY_MAX_MS (20000).
 * `file://` access is local and not retried.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetObjectCommand, type GetObjectCommandOutput, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { BadDataError, CredentialsRefusedError, NonRetryableError, RetryableError } from '../runtime/errors.ts';
import { withRetries } from '../runtime/retry.ts';

export interface StoredObject {
  readonly body: Buffer;
  readonly etag?: string;
  readonly size: number;
}

/** An object being read: its bytes arrive on `body`. */
export interface ObjectStream {
  readonly body: Readable;
  readonly etag?: string;
  readonly size: number;
}

export interface ObjectStore {
  get(uri: string): Promise<StoredObject>;
  /** The object as a byte stream (retries cover opening it; a failure while streaming surfaces on `body`). */
  getStream(uri: string): Promise<ObjectStream>;
  put(uri: string, body: Buffer | string, contentType: string): Promise<{ etag?: string }>;
  /** Uploads a local file without reading it into memory. */
  putFile(uri: string, localFile: string, contentType: string): Promise<{ etag?: string }>;
  exists(uri: string): Promise<boolean>;
  /**
   * Every object under a folder-like prefix (`s3://bucket/raw/` or `file:///data/raw`, a trailing
   * slash implied), at any depth, sorted by key; an empty list when there is none.
   */
  list(prefixUri: string): Promise<ListedObject[]>;
}

/** One object found by `list`. */
export interface ListedObject {
  /** The object's full URI (`s3://bucket/key` or `file:///path`). */
  readonly uri: string;
  readonly size: number;
  readonly etag?: string;
}

/** The subset of a pino logger the store uses. */
export interface StoreLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ObjectStoreOptions {
  readonly endpoint?: string;
  readonly region?: string;
  /** Total tries per S3 call, first one included (default 5). */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly connectionTimeoutMs?: number;
  /** Time to the response headers, and the longest idle gap while streaming a body. */
  readonly requestTimeoutMs?: number;
  readonly log?: StoreLog;
  /** Explicit credentials; default: the SDK's chain (env vars, profile, container/instance role). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Where endpoint, region and retry settings are read from (default process.env); credentials are not. */
  readonly env?: Record<string, string | undefined>;
  /** For tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** For tests: a prebuilt client (its own retries should be off). */
  readonly client?: S3Client;
  /** For tests: keys per ListObjectsV2 page (S3's default and maximum: 1000). */
  readonly listPageSize?: number;
}

/** All attempts of a transient failure were used up; Airflow may retry the task (exit 1). */
export class ObjectStoreUnavailableError extends RetryableError {}

export type ParsedUri = { scheme: 's3'; bucket: string; key: string } | { scheme: 'file'; path: string };

const URI_HELP = 'Use s3://bucket/key or file:///absolute/path.';

/** An object or prefix URI the store takes, as a task input: s3://bucket/… or file:///absolute/…. */
export const objectUriSchema = z.string().regex(/^(s3:\/\/[^/]+|file:\/\/\/)/, 'must be an s3://bucket/... or file:///absolute/... URI');

/** Splits an object URI; throws NonRetryableError for anything else (a wrong input, not a transient fault). */
export function parseUri(uri: string): ParsedUri {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const key = slash === -1 ? '' : rest.slice(slash + 1);
    if (!bucket) throw new NonRetryableError(`'${uri}' has no bucket name. ${URI_HELP}`);
    return { scheme: 's3', bucket, key };
  }
  if (uri.startsWith('file:')) {
    try {
      return { scheme: 'file', path: fileURLToPath(uri) };
    } catch (error) {
      throw new NonRetryableError(`'${uri}' is not a valid file URI (${(error as Error).message}). ${URI_HELP}`);
    }
  }
  throw new NonRetryableError(`'${uri}' is not a supported object URI. ${URI_HELP}`);
}

/** `<base>/<name>`, whatever trailing slashes `base` has. */
export function joinUri(base: string, name: string): string {
  return `${base.replace(/\/+$/, '')}/${name}`;
}

/** file:// URI of an absolute path. */
export function fileUri(absolutePath: string): string {
  return pathToFileURL(absolutePath).href;
}

export function sha256(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function createObjectStore(options: ObjectStoreOptions = {}): ObjectStore {
  const env = options.env ?? process.env;
  const endpoint = options.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  const region = options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1');
  const retry = {
    maxAttempts: options.maxAttempts ?? envInt(env, 'HP_S3_MAX_ATTEMPTS', 5, 1),
    baseDelayMs: options.baseDelayMs ?? envInt(env, 'HP_S3_RETRY_BASE_MS', 1000, 0),
    maxDelayMs: options.maxDelayMs ?? envInt(env, 'HP_S3_RETRY_MAX_MS', 20_000, 0),
  };
  const log = options.log;
  let client = options.client;
  const s3 = () =>
    (client ??= new S3Client({
      region,
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 1, // the SDK's retries off: withRetry below retries, with logs
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
        requestTimeout: options.requestTimeoutMs ?? 60_000,
        throwOnRequestTimeout: true,
        socketTimeout: options.requestTimeoutMs ?? 60_000,
      },
    }));

  async function withRetry<T>(op: Operation, uri: string, call: () => Promise<T>): Promise<T> {
    let attempts = 0;
    try {
      const result = await withRetries(
        (attempt) => {
          attempts = attempt;
          return call();
        },
        {
          retryable: (error) => classify(error) === 'transient',
          onRetry: (error, attempt, delayMs) => {
            const reason = describe(error);
            log?.warn(
              { op, uri, attempt, max_attempts: retry.maxAttempts, delay_ms: delayMs, error: reason },
              `S3 ${op} of ${uri} failed on attempt ${attempt}/${retry.maxAttempts} (${reason}); retrying in ${delayMs} ms`,
            );
          },
        },
        { attempts: retry.maxAttempts, baseDelayMs: retry.baseDelayMs, maxDelayMs: retry.maxDelayMs, sleep: options.sleep, random: options.random },
      );
      if (attempts > 1) log?.info({ op, uri, attempt: attempts, max_attempts: retry.maxAttempts }, `S3 ${op} of ${uri} succeeded on attempt ${attempts}`);
      return result;
    } catch (error) {
      const kind = classify(error);
      if (kind !== 'transient') throw nonRetryable(kind, op, uri, error, endpoint);
      throw new ObjectStoreUnavailableError(
        `S3 ${op} of ${uri} failed ${attempts} time(s) with transient errors (last: ${describe(error)})` +
          `${endpoint ? ` at endpoint ${endpoint}` : ''}. Check that the object store is reachable; the task fails retryably, so Airflow tries again later.`,
        { cause: error },
      );
    }
  }

  /** GetObject with retries, its answer read by `read`; an answer without a body counts as a dropped connection (transient). */
  function getObject<T>(
    uri: string,
    where: { bucket: string; key: string },
    read: (response: GetObjectCommandOutput, payload: NonNullable<GetObjectCommandOutput['Body']>) => T | Promise<T>,
  ): Promise<T> {
    const { bucket, key } = requireKey(uri, where);
    return withRetry('get', uri, async () => {
      const response = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) throw Object.assign(new Error('S3 returned no body'), { code: 'ECONNRESET' });
      return read(response, response.Body);
    });
  }

  return {
    async get(uri) {
      const where = parseUri(uri);
      if (where.scheme === 'file') return fileGet(uri, where.path);
      return getObject(uri, where, async (response, payload) => {
        const bytes = await payload.transformToByteArray();
        const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return { body, size: body.length, ...etagOf(response.ETag) };
      });
    },
    async getStream(uri) {
      const where = parseUri(uri);
      if (where.scheme === 'file') return fileGetStream(uri, where.path);
      return getObject(uri, where, (response, payload) => ({ body: payload as Readable, size: response.ContentLength ?? 0, ...etagOf(response.ETag) }));
    },
    async put(uri, body, contentType) {
      const where = parseUri(uri);
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      if (where.scheme === 'file') return filePut(uri, where.path, (temporary) => writeFile(temporary, bytes));
      const { bucket, key } = requireKey(uri, where);
      return withRetry('put', uri, async () => {
        const response = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }));
        return etagOf(response.ETag);
      });
    },
    async putFile(uri, localFile, contentType) {
      const where = parseUri(uri);
      if (where.scheme === 'file') return filePut(uri, where.path, (temporary) => copyFile(localFile, temporary));
      const { bucket, key } = requireKey(uri, where);
      const { size } = await stat(localFile);
      return withRetry('put', uri, async () => {
        // A fresh stream per attempt: a stream that was partly sent cannot be sent again.
        const body = createReadStream(localFile);
        try {
          const response = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }));
          return etagOf(response.ETag);
        } finally {
          body.destroy();
        }
      });
    },
    async exists(uri) {
      const where = parseUri(uri);
      if (where.scheme === 'file') return fileExists(uri, where.path);
      const { bucket, key } = requireKey(uri, where);
      return withRetry('exists', uri, async () => {
        try {
          await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          return true;
        } catch (error) {
          if (classify(error) === 'missing') return false; // HEAD cannot tell a missing key from a missing bucket
          throw error;
        }
      });
    },
    async list(prefixUri) {
      const where = parseUri(prefixUri);
      if (where.scheme === 'file') return fileList(prefixUri, where.path);
      const prefix = where.key && !where.key.endsWith('/') ? `${where.key}/` : where.key;
      const listed: ListedObject[] = [];
      let token: string | undefined;
      do {
        // One retried call per page: a failure on page 5 does not start the listing over.
        const page = await withRetry('list', prefixUri, () =>
          s3().send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: options.listPageSize })),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined || item.Key.endsWith('/')) continue; // a console-made "folder" marker holds no data
          listed.push({ uri: `s3://${where.bucket}/${item.Key}`, size: item.Size ?? 0, ...etagOf(item.ETag) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return listed.sort(byUri);
    },
  };
}

/** Code-unit order, which is S3's key order for the ASCII keys batches use. */
const byUri = (a: ListedObject, b: ListedObject) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0);

type Operation = 'get' | 'put' | 'exists' | 'list';
type Kind = 'transient' | 'missing' | 'auth' | 'rejected' | 'unknown';

const MISSING_CODES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'NoSuchVersion']);
const AUTH_CODES = new Set([
  'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired',
  'CredentialsProviderError', 'AllAccessDisabled', 'AccountProblem', 'InvalidSecurity',
]);
const THROTTLING_CODES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException',
  'TooManyRequestsException', 'RequestLimitExceeded', 'BandwidthLimitExceeded', 'ProvisionedThroughputExceededException',
  'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'PriorRequestNotComplete',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError', 'ECONNRESET']);

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
}

/** What kind of failure an S3 call raised (exported for tests). */
export function classify(error: unknown): Kind {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const e = error as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? '';
  if (MISSING_CODES.has(name) || status === 404) return 'missing';
  if (AUTH_CODES.has(name) || status === 403 || status === 401) return 'auth';
  if (THROTTLING_CODES.has(name) || status === 429 || (status !== undefined && status >= 500)) return 'transient';
  if (status !== undefined && status >= 400) return 'rejected';
  if (NETWORK_NAMES.has(name) || (e.code !== undefined && NETWORK_CODES.has(e.code))) return 'transient';
  // Node's happy-eyeballs connect reports an AggregateError holding the per-address errors.
  if (Array.isArray(e.errors) && e.errors.some((inner) => classify(inner) === 'transient')) return 'transient';
  if (/socket hang up|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|network/i.test(e.message ?? '')) return 'transient';
  return 'unknown';
}

function nonRetryable(kind: Kind, op: Operation, uri: string, error: unknown, endpoint: string | undefined): Error {
  const e = error as SdkLikeError;
  const { bucket, key } = parseUri(uri) as { bucket: string; key: string };
  const at = endpoint ? ` (endpoint ${endpoint})` : '';
  switch (kind) {
    case 'missing':
      if (e.name === 'NoSuchBucket') {
        return new BadDataError(
          `S3 ${op} of ${uri} failed: bucket '${bucket}' does not exist${at}. Create it (aws s3 mb s3://${bucket}) or fix the URI.`,
          { cause: error },
        );
      }
      return new BadDataError(
        `S3 ${op} of ${uri} failed: there is no object '${key}' in bucket '${bucket}'${at}. ` +
          (op === 'get' ? `Upload it (e.g. aws s3 cp diabetic_data.csv ${uri}) or fix the URI.` : 'Fix the URI.'),
        { cause: error },
      );
    case 'auth':
      return new CredentialsRefusedError(
        e.name === 'CredentialsProviderError'
          ? `S3 ${op} of ${uri} failed: no AWS credentials were found (${e.message}). ` +
              `Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE / an instance role) for the task.`
          : `S3 ${op} of ${uri} was refused: ${describe(error)}${at}. The credentials are wrong, expired, or lack permission ` +
              `(s3:${op === 'put' ? 'PutObject' : op === 'list' ? 'ListBucket' : 'GetObject'} on ${bucket}); fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / the IAM policy. Retrying would fail again.`,
        { cause: error },
      );
    case 'rejected':
      return new NonRetryableError(`S3 ${op} of ${uri} was rejected: ${describe(error)}${at}. Retrying the same request would fail again; check the URI and bucket settings.`, {
        cause: error,
      });
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  // HEAD responses have no error body: the SDK then reports name 'Unknown', message 'UnknownError'.
  const name = e.name && e.name !== 'Error' && e.name !== 'Unknown' ? e.name : undefined;
  const parts = [name, e.code, status ? `HTTP ${status}` : undefined].filter(Boolean);
  const message = (e.message !== 'UnknownError' && e.message) || (Array.isArray(e.errors) ? e.errors.map(describe).join('; ') : '');
  return `${parts.join(' ')}${parts.length && message ? ': ' : ''}${message}`.trim() || 'unknown error';
}

function requireKey(uri: string, where: { bucket: string; key: string }): { bucket: string; key: string } {
  if (!where.key) throw new NonRetryableError(`'${uri}' names a bucket but no object key. ${URI_HELP}`);
  return where;
}

function etagOf(etag: string | undefined): { etag?: string } {
  return etag ? { etag: etag.replace(/^"|"$/g, '') } : {};
}

function envInt(env: Record<string, string | undefined>, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new NonRetryableError(`${name} is '${raw}'; it must be a whole number >= ${min} (or unset for ${fallback}).`);
  }
  return Number(raw);
}

async function fileGet(uri: string, file: string): Promise<StoredObject> {
  try {
    const body = await readFile(file);
    return { body, size: body.length };
  } catch (error) {
    throw fileError('read', uri, error);
  }
}

async function fileGetStream(uri: string, file: string): Promise<ObjectStream> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR' });
    const body = createReadStream(file);
    await new Promise<void>((resolve, reject) => body.once('open', () => resolve()).once('error', reject));
    return { body, size: info.size };
  } catch (error) {
    throw fileError('read', uri, error);
  }
}

async function filePut(uri: string, file: string, write: (temporary: string) => Promise<void>): Promise<{ etag?: string }> {
  // Write a temporary file, then rename: readers never see a half-written object.
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await write(temporary);
    await rename(temporary, file);
    return {};
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw fileError('write', uri, error);
  }
}

async function fileExists(uri: string, file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw fileError('check', uri, error);
  }
}

/** A file written by filePut that is not renamed into place yet. */
const IN_FLIGHT = /\.tmp-\d+-[0-9a-f]{8}$/;

async function fileList(uri: string, directory: string): Promise<ListedObject[]> {
  let names: string[];
  try {
    names = await readdir(directory, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return []; // like an S3 prefix nothing was written under yet
    if (code === 'ENOTDIR') throw new BadDataError(`Cannot list ${uri}: it is a file, not a directory. Point the URI at the directory holding the objects.`, { cause: error });
    throw fileError('list', uri, error);
  }
  const listed: ListedObject[] = [];
  for (const name of names) {
    if (IN_FLIGHT.test(name)) continue;
    const file = path.join(directory, name);
    const info = await stat(file).catch(() => undefined); // removed since readdir: not there any more
    if (info?.isFile()) listed.push({ uri: fileUri(file), size: info.size });
  }
  return listed.sort(byUri);
}

function fileError(op: string, uri: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new BadDataError(`Cannot ${op} ${uri}: the file${op === 'write' ? "'s directory" : ''} does not exist. Fix the URI or create the file.`, { cause: error });
  }
  if (code === 'EISDIR') return new BadDataError(`Cannot ${op} ${uri}: it is a directory. Point the URI at a file.`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new NonRetryableError(`Cannot ${op} ${uri}: permission denied (${code}). Fix the file permissions or choose another path.`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
