/**
 * Plain HTTPS to the cluster's servers with client certificates (no Kubernetes client library):
 * enough for health checks, waiting for the node, and the tests' pods.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { ClusterError } from './errors.ts';
import type { Layout } from './layout.ts';

export interface TlsIdentity {
  /** CA bundle to verify the server; omit with `insecure` for self-signed component endpoints. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTPS request; network errors reject, any HTTP status resolves. */
export function httpsRequest(url: string, identity: TlsIdentity, init: { method?: string; body?: unknown; timeoutMs?: number; contentType?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    const request = https.request(
      url,
      {
        method: init.method ?? 'GET',
        ca: identity.ca,
        cert: identity.cert,
        key: identity.key,
        rejectUnauthorized: !identity.insecure,
        timeout: init.timeoutMs ?? 10_000,
        headers: {
          Accept: 'application/json, */*',
          ...(payload === undefined ? {} : { 'Content-Type': init.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`timed out after ${init.timeoutMs ?? 10_000} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** True when `url` answers 200 with a body `check` accepts; errors are false. */
export async function probeHttps(url: string, identity: TlsIdentity, check: (body: string) => boolean = () => true, timeoutMs = 3_000): Promise<boolean> {
  try {
    const answer = await httpsRequest(url, identity, { timeoutMs });
    return answer.status === 200 && check(answer.body);
  } catch {
    return false;
  }
}

/** The identity of certificate `name` from the cluster PKI, verifying servers against the cluster CA. */
export function identityOf(layout: Layout, name: string): TlsIdentity {
  return { ca: readFileSync(layout.cert('ca')), cert: readFileSync(layout.cert(name)), key: readFileSync(layout.key(name)) };
}

/** A tiny JSON client for the API server as cluster admin. */
export class ApiClient {
  private readonly identity: TlsIdentity;

  constructor(
    readonly server: string,
    layout: Layout,
  ) {
    this.identity = identityOf(layout, 'admin');
  }

  /** Raw request; `path` starts with `/`. */
  request(path: string, init: { method?: string; body?: unknown; timeoutMs?: number; contentType?: string } = {}): Promise<HttpAnswer> {
    return httpsRequest(`${this.server}${path}`, this.identity, init);
  }

  /** JSON request that must answer 2xx (or one of `accept`); returns the parsed body. */
  async json<T = unknown>(path: string, init: { method?: string; body?: unknown; accept?: number[] } = {}): Promise<T> {
    const answer = await this.request(path, init);
    const ok = (answer.status >= 200 && answer.status < 300) || init.accept?.includes(answer.status);
    if (!ok) throw new ClusterError(`${init.method ?? 'GET'} ${this.server}${path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    return (answer.body ? JSON.parse(answer.body) : undefined) as T;
  }

  /** The answer's status only (404 → undefined body), for existence checks. */
  async get<T = unknown>(path: string): Promise<T | undefined> {
    const answer = await this.request(path);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new ClusterError(`GET ${this.server}${path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    return JSON.parse(answer.body) as T;
  }
}
