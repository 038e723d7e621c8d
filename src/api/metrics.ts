/**
 * Prometheus metrics on a registry of the app's own (nothing global): requests by route and
 * status, request latency, the served model (an info gauge), readiness, predictions by label
 * and the size of each inference run (how much the micro-batching merges).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelState } from './model-service.ts';

export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly run_id: string;
  readonly model_type: string;
}

/** Label of requests that matched no route, so unknown paths cannot grow the label set. */
const UNMATCHED = 'unmatched';
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RUN_ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly predictions = new Counter({
    name: 'predictions_total',
    help: 'Records scored, by predicted label',
    labelNames: ['prediction'] as const,
    registers: [this.registry],
  });
  private readonly runRows = new Histogram({
    name: 'inference_run_rows',
    help: 'Rows per ONNX run (concurrent requests are scored together)',
    buckets: RUN_ROW_BUCKETS,
    registers: [this.registry],
  });
  private readonly ready = new Gauge({
    name: 'model_ready',
    help: '1 when the model is loaded, warmed up and the service is not shutting down',
    registers: [this.registry],
  });

  constructor(model: ServedModel, options: { processMetrics?: boolean } = {}) {
    const info = new Gauge({
      name: 'model_info',
      help: 'The served model (always 1): registered name, version, MLflow run id and model type',
      labelNames: ['name', 'version', 'run_id', 'model_type'] as const,
      registers: [this.registry],
    });
    info.set({ name: model.name, version: model.version, run_id: model.run_id, model_type: model.model_type }, 1);
    this.ready.set(0);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    const labels = { method, route: route ?? UNMATCHED, status_code: String(statusCode) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  observePredictions(labels: Uint8Array): void {
    let positives = 0;
    for (const label of labels) positives += label;
    if (positives > 0) this.predictions.inc({ prediction: '1' }, positives);
    if (labels.length > positives) this.predictions.inc({ prediction: '0' }, labels.length - positives);
  }

  observeRun(rows: number): void {
    this.runRows.observe(rows);
  }

  setModelState(state: ModelState): void {
    this.ready.set(state === 'ready' ? 1 : 0);
  }
}

/**
 * Counts every response (404s included) and serves `GET /metrics`. Registered on the
 * instance that registers it (skip-override), so its hook sees every route.
 */
export async function metricsPlugin(app: FastifyInstance, { metrics }: { metrics: ApiMetrics }): Promise<void> {
  // A callback hook: no promise per request for synchronous work.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['operations'],
      response: { 200: { description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
Object.assign(metricsPlugin, { [Symbol.for('skip-override')]: true });
