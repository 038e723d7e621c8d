/**
 * Liveness and readiness, in our own shape and in the Open Inference Protocol (V2) shape
 * (`/v2/health/live`, `/v2/health/ready`, `/v2/models/{name}/ready`: 200 means true, a 4xx
 * means false, per the protocol). Liveness is true while the process serves, and `/health`
 * answers in the origin service's shape (`status: healthy`, `model_loaded`,
 * `preprocessor_loaded`; the preprocessing is part of the ONNX graph, so both are the same);
 * readiness only when the model is loaded and warmed up and the service is not shutting down.
 */
import type { FastifyInstance } from 'fastify';
import { errorBody, errorBodySchema } from '../errors.ts';
import type { ModelService } from '../model-service.ts';

export interface HealthRoutesOptions {
  readonly model: ModelService;
  readonly modelName: string;
  readonly modelVersion: string;
}

const healthSchema = {
  type: 'object',
  required: ['status', 'model_loaded', 'preprocessor_loaded', 'model_state'],
  properties: {
    status: { type: 'string', enum: ['healthy'] },
    model_loaded: { type: 'boolean' },
    preprocessor_loaded: { type: 'boolean', description: 'The preprocessing is part of the ONNX graph: the same as model_loaded' },
    model_state: { type: 'string', enum: ['not-loaded', 'loading', 'ready', 'failed', 'stopping'] },
  },
} as const;
const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    model_version: { type: 'string' },
    reason: { type: 'string', description: 'Why the service is not ready' },
  },
} as const;
const v2Live = { type: 'object', required: ['live'], properties: { live: { type: 'boolean' } } } as const;
const v2Ready = { type: 'object', required: ['ready'], properties: { ready: { type: 'boolean' } } } as const;
/** The V2 protocol signals "false" with a 4xx status; 400 is what Triton and KServe use. */
const V2_FALSE = 400;

export async function healthRoutes(app: FastifyInstance, { model, modelName, modelVersion }: HealthRoutesOptions): Promise<void> {
  app.get('/health', {
    schema: { summary: 'Liveness: 200 while the process serves requests, with whether the model is loaded', tags: ['operations'], response: { 200: healthSchema } },
  }, async () => {
    const loaded = model.state === 'ready' || model.state === 'stopping';
    return { status: 'healthy', model_loaded: loaded, preprocessor_loaded: loaded, model_state: model.state };
  });

  app.get('/ready', {
    schema: {
      summary: 'Readiness: 200 only when the model is loaded, a warm-up prediction succeeded and the service is not shutting down',
      tags: ['operations'],
      response: { 200: statusSchema, 503: statusSchema },
    },
  }, async (_request, reply) => {
    if (model.ready) return { status: 'ready', model_version: modelVersion };
    return reply.code(503).send({ status: 'not ready', reason: model.reason });
  });

  app.get('/v2/health/live', {
    schema: { summary: 'Open Inference Protocol: server live', tags: ['open inference protocol'], response: { 200: v2Live } },
  }, async () => ({ live: true }));

  app.get('/v2/health/ready', {
    schema: { summary: 'Open Inference Protocol: server ready', tags: ['open inference protocol'], response: { 200: v2Ready, [V2_FALSE]: v2Ready } },
  }, async (_request, reply) => reply.code(model.ready ? 200 : V2_FALSE).send({ ready: model.ready }));

  app.get<{ Params: { name: string } }>('/v2/models/:name/ready', {
    schema: {
      summary: 'Open Inference Protocol: model ready',
      tags: ['open inference protocol'],
      params: { type: 'object', required: ['name'], properties: { name: { type: 'string', description: `The served model's name ("${modelName}")` } } },
      response: { 200: v2Ready, [V2_FALSE]: v2Ready, 404: errorBodySchema },
    },
  }, async (request, reply) => {
    if (request.params.name !== modelName) {
      return reply.code(404).send(errorBody(404, `No model named "${request.params.name}" is served here; this service serves "${modelName}".`));
    }
    return reply.code(model.ready ? 200 : V2_FALSE).send({ ready: model.ready });
  });
}
