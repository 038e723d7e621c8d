/**
 * `POST /predict` (one record) and `POST /predict/batch` (`{records: [...]}`). Spellings are
 * normalised before validation (a field given in both spellings is a 422), the canonical record schema validates, and the OpenAPI
 * document shows the schema as clients may send it (either spelling). `prediction` is
 * `probability_score >= threshold`, the model's decision threshold from its metadata.
 */
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { CanonicalRecord, JsonSchema, RecordSchema } from '../record-schema.ts';
import { errorBodySchema } from '../errors.ts';
import type { ApiMetrics } from '../metrics.ts';
import type { ModelService } from '../model-service.ts';
import { normaliseBatchBody, normaliseRecordBody } from '../request-validation.ts';

export interface PredictRoutesOptions {
  readonly model: ModelService;
  readonly schema: RecordSchema;
  readonly metrics: ApiMetrics;
  readonly modelVersion: string;
  readonly batchLimit: number;
}

const scored = {
  prediction: { type: 'integer', enum: [0, 1], description: '1 (readmission) when probability_score >= the model threshold' },
  probability_score: { type: 'number', minimum: 0, maximum: 1, description: 'p(readmission)' },
} as const;
const predictionSchema = {
  type: 'object',
  required: ['prediction', 'probability_score', 'model_version'],
  properties: { ...scored, model_version: { type: 'string' } },
} as const;
const batchResponseSchema = {
  type: 'object',
  required: ['predictions', 'model_version'],
  properties: {
    predictions: { type: 'array', items: { type: 'object', required: ['prediction', 'probability_score'], properties: scored } },
    model_version: { type: 'string' },
  },
} as const;
const errorResponses = {
  413: { description: 'The body is larger than the limit', ...errorBodySchema },
  415: { description: 'The body is not application/json', ...errorBodySchema },
  422: { description: 'The body is not valid JSON, or the record(s) failed validation; `fields` lists every offending field', ...errorBodySchema },
  503: { description: 'The model is not loaded (yet)', ...errorBodySchema },
};

const batchBody = (records: JsonSchema, limit: number): JsonSchema => ({
  type: 'object',
  required: ['records'],
  properties: { records: { type: 'array', minItems: 1, maxItems: limit, items: records } },
});

/** The OpenAPI document shows `body` instead of the validation schema. */
const documentBody = (body: JsonSchema) => ({
  swaggerTransform: ({ schema, url }: { schema: FastifySchema; url: string }) => ({ schema: { ...schema, body }, url }),
});

/**
 * Runs a normaliser for a callback-style hook: its error (a 422) or undefined. Synchronous work
 * in a callback hook skips the promise and microtask an async hook costs on every request.
 */
function normalised(normalise: () => void): Error | undefined {
  try {
    normalise();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

export async function predictRoutes(app: FastifyInstance, options: PredictRoutesOptions): Promise<void> {
  const { model, schema, metrics, modelVersion, batchLimit } = options;

  app.post('/predict', {
    schema: {
      summary: 'Predict readmission for one record',
      description: 'The origin API\'s request: every field by its name or by its alias with each underscore replaced by a hyphen (the medication columns the other way round); one spelling per field.',
      tags: ['prediction'],
      body: schema.canonicalJsonSchema,
      response: { 200: predictionSchema, ...errorResponses },
    },
    config: documentBody(schema.jsonSchema),
    preValidation: (request, _reply, done) => done(normalised(() => normaliseRecordBody(schema, request.body))),
  }, async (request) => {
    const { probabilities, labels } = await model.predict([schema.toFeatureVector(request.body as CanonicalRecord)]);
    metrics.observePredictions(labels);
    return { prediction: labels[0], probability_score: probabilities[0], model_version: modelVersion };
  });

  app.post('/predict/batch', {
    schema: {
      summary: `Predict readmission for 1 to ${batchLimit} records`,
      tags: ['prediction'],
      body: batchBody(schema.canonicalJsonSchema, batchLimit),
      response: { 200: batchResponseSchema, ...errorResponses },
    },
    config: documentBody(batchBody(schema.jsonSchema, batchLimit)),
    preValidation: (request, _reply, done) => done(normalised(() => normaliseBatchBody(schema, request.body))),
  }, async (request) => {
    const { records } = request.body as { records: CanonicalRecord[] };
    const { probabilities, labels } = await model.predict(records.map(schema.toFeatureVector));
    metrics.observePredictions(labels);
    const predictions = Array.from(labels, (prediction, i) => ({ prediction, probability_score: probabilities[i] }));
    return { predictions, model_version: modelVersion };
  });
}
