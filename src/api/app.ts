/**
 * The prediction service as a Fastify instance (not listening): the model's life cycle,
 * validation at the edge, metrics and the OpenAPI document, each a small plugin registered
 * on an instance of its own, nothing global. `server.ts` listens; tests use `inject`.
 */
import fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { InferenceSession } from 'onnxruntime-node';
import type { LoggerOptions } from 'pino';
import { parseModelMetadata } from '../evaluation/onnx-scorer.ts';
import { bodyLimit } from './body-limit.ts';
import { errorBody, HttpError, isUnparsableJson, publicMessage, RequestValidationError, statusFor } from './errors.ts';
import { ApiMetrics, metricsPlugin } from './metrics.ts';
import { ModelService } from './model-service.ts';
import { openApi } from './openapi.ts';
import { buildRecordSchema } from './record-schema.ts';
import { problemsFromValidation } from './request-validation.ts';
import { healthRoutes } from './routes/health.ts';
import { modelInfoRoutes, type ModelInfo } from './routes/model-info.ts';
import { predictRoutes } from './routes/predict.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The served model's life cycle (load, readiness, shutdown). */
    readonly modelService: ModelService;
  }
}

export interface BuildAppOptions {
  /** The ONNX model (bytes or a file path) and its metadata.json (parsed JSON). */
  readonly model: { readonly onnx: Uint8Array | string; readonly metadata: unknown };
  readonly modelInfo: ModelInfo;
  /** Most records per `POST /predict/batch`. Default 1000. */
  readonly batchLimit?: number;
  /** Largest request body in bytes. Default: 64 KiB, or 4 KiB per batch record if more. */
  readonly bodyLimit?: number;
  /** Most rows scored together in one ONNX run when requests are batched. Default 256. */
  readonly maxBatchRows?: number;
  /** false (default) silences logs; a pino instance or pino options log JSON lines. */
  readonly logger?: boolean | LoggerOptions | FastifyBaseLogger;
  /** Load and warm up the model when the app is ready (default), or only on `modelService.load()`. */
  readonly autoLoad?: boolean;
  /** Node's process metrics (CPU, memory, event loop) on /metrics too. Default false. */
  readonly processMetrics?: boolean;
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

export const DEFAULT_BATCH_LIMIT = 1000;

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const metadata = parseModelMetadata(options.model.metadata, 'the model metadata (metadata.json)');
  const schema = buildRecordSchema(metadata);
  const batchLimit = options.batchLimit ?? DEFAULT_BATCH_LIMIT;
  if (!Number.isInteger(batchLimit) || batchLimit < 1) throw new RangeError(`batchLimit must be a positive integer, got ${batchLimit}`);
  const info = options.modelInfo;
  const metrics = new ApiMetrics({ ...info, model_type: metadata.model_type }, { processMetrics: options.processMetrics ?? false });
  const model = new ModelService(options.model.onnx, metadata, schema, {
    maxBatchRows: options.maxBatchRows ?? 256,
    ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
    onRun: (rows) => metrics.observeRun(rows),
    onStateChange: (state) => metrics.setModelState(state),
  });

  const limit = options.bodyLimit ?? Math.max(64 * 1024, batchLimit * 4096);
  const app = fastify({
    ...loggerOption(options.logger ?? false),
    bodyLimit: limit,
    logController: new DebugRequestLogs(),
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    // Strict types (no "3" for 3), every error at once (the 422 lists every offending field).
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false, useDefaults: false } },
  });
  app.decorate('modelService', model);
  // Only JSON bodies: a text/plain body must be a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    const status = statusFor(error);
    if (status >= 500) request.log.error({ err: error, method: request.method, url: request.url }, 'request failed');
    const validation = (error as Partial<FastifyError>).validation;
    if (validation) {
      const invalid = new RequestValidationError(problemsFromValidation(validation), request.routeOptions.url === '/predict/batch' ? 'The batch' : 'The record');
      return reply.code(422).send(errorBody(422, invalid.message, invalid.fields));
    }
    if (isUnparsableJson(error)) {
      return reply.code(422).send(errorBody(422, `The body is not valid JSON (${(error as Error).message}). Send one JSON object; GET /openapi.json describes it.`, [{ field: '(body)', message: 'is not valid JSON' }]));
    }
    const fields = error instanceof HttpError ? error.fields : undefined;
    return reply.code(status).send(errorBody(status, publicMessage(error, status), fields));
  });
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url;
    return reply.code(404).send(errorBody(404, `There is no route ${request.method} ${url}. GET /openapi.json lists the routes.`));
  });

  app.register(bodyLimit, { bodyLimit: limit });
  app.register(openApi, { info });
  app.register(metricsPlugin, { metrics });
  app.register(healthRoutes, { model, modelName: info.name, modelVersion: info.version });
  app.register(modelInfoRoutes, { model, info, schema });
  app.register(predictRoutes, { model, schema, metrics, modelVersion: info.version, batchLimit });

  if (options.autoLoad ?? true) {
    app.addHook('onReady', async () => {
      void model.load(); // readiness reports the outcome; listening does not wait for the model
    });
  }
  // Once shutdown has begun, every response closes its connection: a keep-alive client moves
  // to another replica, and the listener's close is not held up by connections left idle.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (model.state === 'stopping') reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('preClose', async () => {
    if (model.state !== 'failed') model.beginShutdown();
  });
  app.addHook('onClose', async () => model.close());
  return app;
}

/**
 * Per-request lines at debug level (LOG_LEVEL=debug shows them): at thousands of requests
 * per second, two info lines each would cost more than the prediction. Failures are still
 * logged by the error handler.
 */
class DebugRequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (error) request.log.error({ err: error, statusCode: reply.statusCode }, 'request errored');
    else request.log.debug({ statusCode: reply.statusCode, responseTimeMs: reply.elapsedTime }, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'route not found');
  }
}

function loggerOption(logger: boolean | LoggerOptions | FastifyBaseLogger): { logger: boolean | LoggerOptions } | { loggerInstance: FastifyBaseLogger } {
  if (typeof logger === 'object' && typeof (logger as FastifyBaseLogger).child === 'function') return { loggerInstance: logger as FastifyBaseLogger };
  return { logger: logger as boolean | LoggerOptions };
}
