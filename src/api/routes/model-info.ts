/** `GET /model-info`: which model is served, its decision threshold and its request schema. */
import type { FastifyInstance } from 'fastify';
import type { ModelService } from '../model-service.ts';
import type { RecordSchema } from '../record-schema.ts';

export interface ModelInfo {
  readonly name: string;
  readonly version: string;
  readonly run_id: string;
}

export interface ModelInfoRoutesOptions {
  readonly model: ModelService;
  readonly info: ModelInfo;
  readonly schema: RecordSchema;
}

const modelInfoSchema = {
  type: 'object',
  required: ['name', 'version', 'run_id', 'model_type', 'threshold', 'state', 'loaded_at', 'input_schema'],
  properties: {
    name: { type: 'string', description: 'Registered model name' },
    version: { type: 'string', description: 'Registered model version' },
    run_id: { type: 'string', description: 'MLflow run that produced the model' },
    model_type: { type: 'string' },
    threshold: { type: 'number', description: 'Decision threshold: prediction = probability_score >= threshold' },
    state: { type: 'string', enum: ['not-loaded', 'loading', 'ready', 'failed', 'stopping'] },
    loaded_at: { type: 'string', nullable: true, description: 'When the model was loaded and warmed up (ISO 8601)' },
    features: {
      type: 'object',
      properties: { numeric: { type: 'array', items: { type: 'string' } }, categorical: { type: 'array', items: { type: 'string' } } },
    },
    input_schema: { type: 'object', additionalProperties: true, description: 'JSON Schema of one record of POST /predict' },
  },
} as const;

export async function modelInfoRoutes(app: FastifyInstance, { model, info, schema }: ModelInfoRoutesOptions): Promise<void> {
  app.get('/model-info', {
    schema: { summary: 'The served model: name, version, run id, threshold, input schema', tags: ['model'], response: { 200: modelInfoSchema } },
  }, async () => ({
    name: info.name,
    version: info.version,
    run_id: info.run_id,
    model_type: model.metadata.model_type,
    threshold: model.threshold,
    state: model.state,
    loaded_at: model.loadedAt?.toISOString() ?? null,
    features: { numeric: model.metadata.features.numeric, categorical: model.metadata.features.categorical },
    input_schema: schema.jsonSchema,
  }));
}
