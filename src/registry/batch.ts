/**
 * Splitting a log-batch into requests MLflow accepts: ≤1000 metrics, ≤100 params, ≤100 tags,
 * ≤1000 entities in all, and a JSON body under 1 MB (mlflow/utils/validation.py). Pure.
 */

export interface MetricInput {
  key: string;
  value: number;
  /** ms since the epoch (default: now). */
  timestamp?: number;
  step?: number;
}

export interface BatchInput {
  metrics?: readonly MetricInput[];
  params?: Readonly<Record<string, string | number | boolean>> | readonly { key: string; value: string }[];
  tags?: Readonly<Record<string, string>> | readonly { key: string; value: string }[];
}

export interface WireMetric {
  key: string;
  value: number | 'NaN' | 'Infinity' | '-Infinity';
  timestamp: number;
  step: number;
}

export interface WireBatch {
  metrics: WireMetric[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000, bytes: 1_000_000 } as const;
export type BatchLimits = { [K in keyof typeof BATCH_LIMITS]: number };

/** JSON has no NaN/Infinity; MLflow accepts them as strings. */
export function wireValue(value: number): WireMetric['value'] {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

function pairs(input: BatchInput['params'] | BatchInput['tags']): { key: string; value: string }[] {
  if (!input) return [];
  if (Array.isArray(input)) return input.map((p) => ({ key: p.key, value: String(p.value) }));
  return Object.entries(input).map(([key, value]) => ({ key, value: String(value) }));
}

/**
 * The batch as wire entities in as few requests as the limits allow: each request takes up to
 * 100 params and 100 tags (params and tags first, as MLflow's own client does) and fills the
 * rest with metrics, up to 1000 entities and the byte budget.
 */
export function chunkBatch(input: BatchInput, limits: BatchLimits = BATCH_LIMITS, now = Date.now()): WireBatch[] {
  const queues = {
    params: pairs(input.params),
    tags: pairs(input.tags),
    metrics: (input.metrics ?? []).map((m): WireMetric => ({ key: m.key, value: wireValue(m.value), timestamp: Math.round(m.timestamp ?? now), step: Math.round(m.step ?? 0) })),
  };
  const next = { params: 0, tags: 0, metrics: 0 };
  const byteBudget = limits.bytes - 200; // {"run_id": "<32 hex>", "metrics": [], "params": [], "tags": []}
  const chunks: WireBatch[] = [];
  const remaining = () => next.params < queues.params.length || next.tags < queues.tags.length || next.metrics < queues.metrics.length;
  while (remaining()) {
    const chunk: WireBatch = { metrics: [], params: [], tags: [] };
    let entities = 0;
    let bytes = 0;
    for (const kind of ['params', 'tags', 'metrics'] as const) {
      const queue = queues[kind] as WireBatch[typeof kind];
      while (next[kind] < queue.length && chunk[kind].length < limits[kind] && entities < limits.entities) {
        const entity = queue[next[kind]]!;
        const size = Buffer.byteLength(JSON.stringify(entity)) + 2;
        if (entities > 0 && bytes + size > byteBudget) break; // a lone oversized entity still goes (the server will say why)
        (chunk[kind] as unknown[]).push(entity);
        next[kind]++;
        entities++;
        bytes += size;
      }
    }
    chunks.push(chunk);
  }
  return chunks;
}
