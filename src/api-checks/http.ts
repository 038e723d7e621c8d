/** One HTTP exchange with the API under test: status, parsed body, elapsed time. */
export interface Exchange {
  readonly status: number;
  readonly body: unknown;
  readonly ms: number;
}

export async function exchange(baseUrl: string, path: string, init: { method?: string; json?: unknown; body?: string; contentType?: string; timeoutMs?: number } = {}): Promise<Exchange> {
  const started = performance.now();
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const headers = body === undefined ? undefined : { 'content-type': init.contentType ?? 'application/json' };
  const response = await fetch(new URL(path, baseUrl), { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the report
  }
  return { status: response.status, body: parsed, ms: performance.now() - started };
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
