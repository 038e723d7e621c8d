/**
 * A programmable HTTP proxy in front of a real service (moto, MLflow) for retry tests.
 * moto 5.2 has no fault-injection API (its /moto-api/ offers reset, seed, recorder and
 * state-manager transitions, nothing that fails a request), so faults are injected here:
 *
 *   const proxy = await startFlakyProxy({ target: s3Endpoint, failures: 2 });             // 2 × 503 SlowDown
 *   const proxy = await startFlakyProxy({ target, failures: 1, fault: faults.reset });    // drop the connection
 *   proxy.failNext(3, faults.status(500));                                                 // re-arm later
 *   proxy.requests(); proxy.log; await proxy.close();
 *
 * Faulted requests never reach the target. Forwarded requests get the target's Host header
 * (MLflow rejects unknown Host headers with 403); moto does not check signatures by default.
 * `port` lets a test pick the port (e.g. start the proxy late on a port a client already
 * uses, to simulate a service that comes up after the first attempts were refused).
 */
import http from 'node:http';
import type net from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; body: string; contentType: string }
  | { kind: 'reset' }
  | { kind: 'delay'; ms: number };

export const faults = {
  /** S3's throttling answer; the AWS SDK treats it as transient. */
  s3SlowDown: {
    kind: 'status',
    status: 503,
    contentType: 'application/xml',
    body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  } as Fault,
  /** What MLflow (or a load balancer in front of it) answers while it cannot serve. */
  mlflowUnavailable: {
    kind: 'status',
    status: 503,
    contentType: 'application/json',
    body: JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'injected by flaky-proxy' }),
  } as Fault,
  /** Close the connection without any answer (the client sees ECONNRESET / socket hang up). */
  reset: { kind: 'reset' } as Fault,
  status: (status: number, body = '', contentType = 'text/plain'): Fault => ({ kind: 'status', status, body, contentType }),
  /** Forward the request, but only after `ms` (for client timeout tests). */
  delay: (ms: number): Fault => ({ kind: 'delay', ms }),
};

export interface ProxyLogEntry {
  method: string;
  url: string;
  outcome: 'forwarded' | 'status' | 'reset' | 'delay' | 'upstream-error';
  status?: number;
}

export interface FlakyProxyOptions {
  /** The real service, e.g. http://127.0.0.1:5001. */
  target: string;
  /** Fault the first `failures` requests (default 0). */
  failures?: number;
  /** Default: 503 SlowDown (S3 XML). */
  fault?: Fault;
  /** Only requests this accepts count towards (and receive) faults; default all. */
  match?: (request: http.IncomingMessage) => boolean;
  /** Port to listen on (default: any free one). */
  port?: number;
  /** Forward the client's Host header unchanged (default: the target's host:port). */
  preserveHost?: boolean;
}

export interface FlakyProxy {
  readonly endpoint: string;
  readonly port: number;
  /** Requests received so far (faulted and forwarded). */
  requests(): number;
  /** Requests answered with a fault so far. */
  faulted(): number;
  readonly log: readonly ProxyLogEntry[];
  /** Fault the next `count` matching requests with `fault` (default: the proxy's fault). */
  failNext(count: number, fault?: Fault): void;
  close(): Promise<void>;
}

export async function startFlakyProxy(options: FlakyProxyOptions): Promise<FlakyProxy> {
  const upstream = new URL(options.target);
  const log: ProxyLogEntry[] = [];
  let pending = options.failures ?? 0;
  let pendingFault = options.fault ?? faults.s3SlowDown;
  let faultedCount = 0;

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, entry: ProxyLogEntry) => {
    const outgoing = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: options.preserveHost ? req.headers : { ...req.headers, host: upstream.host } },
      (response) => {
        entry.status = response.statusCode;
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    outgoing.on('error', () => {
      entry.outcome = 'upstream-error';
      res.destroy();
    });
    req.pipe(outgoing);
  };

  const server = http.createServer((req, res) => {
    const entry: ProxyLogEntry = { method: req.method ?? '?', url: req.url ?? '', outcome: 'forwarded' };
    log.push(entry);
    const fault = pending > 0 && (options.match?.(req) ?? true) ? pendingFault : undefined;
    if (!fault) return forward(req, res, entry);
    pending--;
    faultedCount++;
    entry.outcome = fault.kind;
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'delay') {
      req.pause();
      setTimeout(() => {
        req.resume();
        forward(req, res, entry);
      }, fault.ms);
      return;
    }
    entry.status = fault.status;
    req.resume();
    req.on('end', () => {
      res.writeHead(fault.status, { 'content-type': fault.contentType, 'content-length': Buffer.byteLength(fault.body), connection: 'close' });
      res.end(fault.body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests: () => log.length,
    faulted: () => faultedCount,
    log,
    failNext(count, fault) {
      pending = count;
      if (fault) pendingFault = fault;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
