import http from 'node:http';

/** One HTTP exchange with the API under test: status, parsed body, elapsed time. */
export interface Exchange {
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
}

export async function exchange(
  baseUrl: string,
  path: string,
  init: { method?: string; json?: unknown; body?: string; contentType?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Exchange> {
  const started = performance.now();
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const headers = body === undefined ? undefined : { 'content-type': init.contentType ?? 'application/json' };
  const response = await fetch(new URL(path, baseUrl), { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: AbortSignal.any([AbortSignal.timeout(init.timeoutMs ?? 10_000), ...(init.signal ? [init.signal] : [])]) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the report
  }
  return { status: response.status, body: parsed, ms: performance.now() - started };
}

/**
 * POSTs a JSON body of `bytes` bytes the way a careful client does: headers (with the
 * Content-Length) first, the body only if no answer came within `graceMs`. A service that
 * enforces its body limit answers 413 from the header alone; sending megabytes at it instead
 * races its close of the connection (the client then sees a reset, not the 413).
 */
export function exchangeOversized(baseUrl: string, path: string, bytes: number, init: { graceMs?: number; timeoutMs?: number } = {}): Promise<Exchange> {
  const started = performance.now();
  const prefix = '{"padding":"';
  const suffix = '"}';
  const fill = Math.max(0, bytes - prefix.length - suffix.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': prefix.length + fill + suffix.length },
      timeout: init.timeoutMs ?? 10_000,
    });
    request.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // not JSON: keep the text for the report
        }
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: parsed, ms: performance.now() - started });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${init.timeoutMs ?? 10_000} ms`)));
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.flushHeaders();
    setTimeout(() => {
      if (answered || request.destroyed) return;
      request.write(prefix);
      request.write('x'.repeat(fill));
      request.end(suffix);
    }, init.graceMs ?? 1_000);
  });
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
