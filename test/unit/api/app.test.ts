/**
 * The prediction service over HTTP (fastify.inject) with a REAL model: the trainer's pipeline
 * exported to ONNX (test/unit/api/api-fixture.ts), scored by onnxruntime-node.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import * as fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.ts';
import { createScorer } from '../../../src/evaluation/onnx-scorer.ts';
import { type ApiFixture, buildApiFixture, hyphenated, MODEL_INFO, originExampleRecord, type RequestRecord, underscored } from './api-fixture.ts';

let fixture: ApiFixture;
let app: FastifyInstance;
const BATCH_LIMIT = 50;

beforeAll(async () => {
  fixture = buildApiFixture();
  app = buildApp({ model: { onnx: fixture.onnxPath, metadata: fixture.metadata }, modelInfo: MODEL_INFO, batchLimit: BATCH_LIMIT });
  await app.ready();
  await app.modelService.load();
}, 180_000);

afterAll(async () => {
  await app?.close();
  fixture?.cleanup();
});

const predict = (payload: unknown) => app.inject({ method: 'POST', url: '/predict', payload: payload as object });
const predictBatch = (records: unknown[]) => app.inject({ method: 'POST', url: '/predict/batch', payload: { records } });
const json = <T = Record<string, unknown>>(response: LightMyRequestResponse) => response.json() as T;
interface ErrorBody { statusCode: number; error: string; message: string; fields?: { field: string; message: string }[] }

describe('health and readiness', () => {
  it('is live and ready once the model is loaded and warmed up', async () => {
    const health = await app.inject('/health');
    expect([health.statusCode, json(health)]).toEqual([200, { status: 'healthy', model_loaded: true, preprocessor_loaded: true, model_state: 'ready' }]);
    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(json(ready)).toEqual({ status: 'ready', model_version: MODEL_INFO.version });
  });

  it('answers the Open Inference Protocol health routes', async () => {
    expect(json(await app.inject('/v2/health/live'))).toEqual({ live: true });
    const ready = await app.inject('/v2/health/ready');
    expect([ready.statusCode, json(ready)]).toEqual([200, { ready: true }]);
    expect((await app.inject(`/v2/models/${MODEL_INFO.name}/ready`)).statusCode).toBe(200);
    expect((await app.inject('/v2/models/another-model/ready')).statusCode).toBe(404);
  });
});

describe('GET /model-info', () => {
  it('names the served model, its threshold and its input schema', async () => {
    const response = await app.inject('/model-info');
    expect(response.statusCode).toBe(200);
    const info = json<Record<string, any>>(response);
    expect(info).toMatchObject({ ...MODEL_INFO, model_type: 'xgb', threshold: fixture.metadata.threshold, state: 'ready' });
    expect(new Date(info.loaded_at).getTime()).toBeGreaterThan(0);
    expect(Object.keys(info.input_schema.properties)).toEqual(expect.arrayContaining(['age', 'glyburide-metformin', 'glyburide_metformin', 'diabetesMed']));
  });
});

describe('POST /predict', () => {
  it('scores records exactly as the evaluation scorer does, labelled at the model threshold', async () => {
    const scorer = await createScorer(fixture.onnxPath, fixture.metadata);
    const rows = fixture.featureRows.slice(0, 12);
    const expected = await scorer.predict(rows);
    await scorer.dispose();
    for (const [i, record] of fixture.records.slice(0, 12).entries()) {
      const response = await predict(record);
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ prediction: expected.labels[i], probability_score: expected.probabilities[i], model_version: MODEL_INFO.version });
      const body = json<{ prediction: number; probability_score: number }>(response);
      expect(body.prediction).toBe(body.probability_score >= fixture.metadata.threshold ? 1 : 0);
    }
    expect(new Set(expected.labels).size, 'the rows should cover both labels').toBe(2);
  });

  it("gives the same answer for the origin's field names and for its hyphen aliases (time-in-hospital, diag-1, …)", async () => {
    const record = originExampleRecord();
    const answer = json(await predict(record));
    expect(json(await predict(underscored(record)))).toEqual(answer);
    expect(json(await predict(hyphenated(record)))).toEqual(answer);
    const { time_in_hospital: time, ...rest } = underscored(record);
    expect(json(await predict({ ...rest, 'time-in-hospital': time! }))).toEqual(answer);
  });

  it('accepts unknown categories, missing optional fields and extra keys', async () => {
    const { race: _race, diag_3: _diag3, ...rest } = originExampleRecord();
    for (const record of [{ ...originExampleRecord(), race: 'Martian', insulin: 'Sideways', gender: 'Unknown/Invalid' }, rest,
      { ...originExampleRecord(), diag_1: null, A1Cresult: '?', encounter_id: 2278392 },
      { ...originExampleRecord(), race: '\u0000', diag_1: '\ud800', diag_2: '🩺', max_glu_serum: 'ü'.repeat(64) }]) {
      const response = await predict(record);
      expect(response.statusCode, response.body).toBe(200);
    }
  });
});

describe('POST /predict/batch', () => {
  it('scores up to the limit in order, the same as one by one', async () => {
    const records = fixture.records.slice(0, BATCH_LIMIT);
    const response = await predictBatch(records);
    expect(response.statusCode).toBe(200);
    const body = json<{ predictions: { prediction: number; probability_score: number }[]; model_version: string }>(response);
    expect(body.model_version).toBe(MODEL_INFO.version);
    expect(body.predictions).toHaveLength(BATCH_LIMIT);
    for (const i of [0, 7, BATCH_LIMIT - 1]) {
      const single = json(await predict(records[i]));
      expect(body.predictions[i]).toEqual({ prediction: single.prediction, probability_score: single.probability_score });
    }
  });

  it('mixes spellings across records', async () => {
    const [a, b] = fixture.records;
    const response = await predictBatch([a, underscored(b!)]);
    expect(response.statusCode).toBe(200);
    expect(json<{ predictions: unknown[] }>(await predictBatch([a, b])).predictions).toEqual(json<{ predictions: unknown[] }>(response).predictions);
  });

  it('refuses an empty batch and one over the limit with 422', async () => {
    expect((await predictBatch([])).statusCode).toBe(422);
    const over = await predictBatch(Array.from({ length: BATCH_LIMIT + 1 }, () => originExampleRecord()));
    expect(over.statusCode).toBe(422);
    expect(json<ErrorBody>(over).fields).toEqual([{ field: 'records', message: expect.stringContaining(String(BATCH_LIMIT)) }]);
  });
});

describe('errors', () => {
  it('422 lists every offending field: missing, wrong type, out of range, unknown age bracket', async () => {
    const { gender: _gender, ...record } = originExampleRecord();
    const response = await predict({ ...record, time_in_hospital: -1, num_medications: '15', number_diagnoses: 2.5, age: '[70-80]', diag_1: 428 });
    expect(response.statusCode).toBe(422);
    const body = json<ErrorBody>(response);
    expect(body.error).toBe('Unprocessable Entity');
    expect(body.fields!.map((f) => f.field).sort()).toEqual(['age', 'diag_1', 'gender', 'num_medications', 'number_diagnoses', 'time_in_hospital']);
    expect(body.fields!.find((f) => f.field === 'gender')!.message).toBe('is required');
    expect(body.fields!.find((f) => f.field === 'age')!.message).toContain('[70-80)');
    expect(body.message).toContain('time_in_hospital');
  });

  it('422 when the same field comes in both spellings, even with the same value', async () => {
    for (const [extra, field] of [[{ glyburide_metformin: 'Up' }, 'glyburide-metformin'], [{ glyburide_metformin: 'No' }, 'glyburide-metformin'], [{ 'time-in-hospital': 5 }, 'time_in_hospital']] as const) {
      const response = await predict({ ...originExampleRecord(), ...extra });
      expect(response.statusCode).toBe(422);
      expect(json<ErrorBody>(response).fields).toEqual([{ field, message: expect.stringContaining('send one spelling') }]);
    }
  });

  it('422 names the record in a batch: records[i].field', async () => {
    const response = await predictBatch([originExampleRecord(), { ...originExampleRecord(), age: 7 }, 'not a record']);
    expect(response.statusCode).toBe(422);
    const fields = json<ErrorBody>(response).fields!.map((f) => f.field);
    expect(fields).toContain('records[1].age');
    expect(fields).toContain('records[2]');
    const conflict = await predictBatch([originExampleRecord(), { ...originExampleRecord(), metformin_pioglitazone: 'Up' }]);
    expect(json<ErrorBody>(conflict).fields).toEqual([{ field: 'records[1].metformin-pioglitazone', message: expect.any(String) }]);
  });

  it('422 for a body that is not an object', async () => {
    for (const payload of ['null', '[]', '"text"', '42']) {
      const response = await app.inject({ method: 'POST', url: '/predict', payload, headers: { 'content-type': 'application/json' } });
      expect(response.statusCode, payload).toBe(422);
    }
  });

  it('415 for a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await app.inject({ method: 'POST', url: '/predict', payload: 'race=Caucasian', headers: { 'content-type': type } });
      expect(response.statusCode, type).toBe(415);
      expect(json<ErrorBody>(response).error).toBe('Unsupported Media Type');
    }
  });

  it('413 for a 10 MB body over a real connection, streamed slowly or sent at once, and the connection stays usable', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const total = 10 * 1024 * 1024;
    for (const pace of ['slowly', 'at once'] as const) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const answer = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port, path: '/predict/batch', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': total } });
        let sent = 0;
        request.on('error', (error) => reject(new Error(`${pace}: ${error.message} after ${sent} bytes`)));
        request.on('response', (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, body, sent }));
        });
        const chunk = Buffer.alloc(256 * 1024, 0x78);
        const pump = () => {
          if (sent >= total) return void request.end();
          request.write(chunk);
          sent += chunk.length;
          setTimeout(pump, pace === 'slowly' ? 5 : 0);
        };
        if (pace === 'slowly') pump();
        else request.end(Buffer.alloc(total, 0x78), () => (sent = total));
      });
      expect(answer.status, pace).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 413, message: expect.stringContaining(`${total} bytes`) });
      // The same keep-alive connection then serves the next request.
      const next = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/health', agent }, (response) => response.resume().on('end', () => resolve(response.statusCode!))).on('error', reject);
      });
      expect(next, pace).toBe(200);
      agent.destroy();
    }
  }, 60_000);

  it('413 for a body over the limit', async () => {
    const huge = JSON.stringify({ records: Array.from({ length: 400 }, () => originExampleRecord()) });
    const response = await app.inject({ method: 'POST', url: '/predict/batch', payload: huge, headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(413);
    expect(json<ErrorBody>(response).statusCode).toBe(413);
  });

  it('422 for malformed JSON and an empty JSON body, as the origin service (FastAPI) answered', async () => {
    for (const payload of ['{"race": "Caucasian",', '']) {
      const response = await app.inject({ method: 'POST', url: '/predict', payload, headers: { 'content-type': 'application/json' } });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(json<ErrorBody>(response)).toMatchObject({ error: 'Unprocessable Entity', fields: [{ field: '(body)', message: 'is not valid JSON' }] });
    }
  });

  it('404 with a JSON body for an unknown route or method', async () => {
    for (const [method, url] of [['GET', '/predictions'], ['GET', '/predict'], ['DELETE', '/model-info']] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/json');
      expect(json<ErrorBody>(response).message).toContain(url);
    }
  });

  it('never answers bad input with a 5xx (generated bodies)', async () => {
    const valueArb = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));
    const keys = Object.keys(originExampleRecord());
    const mutatedRecord = fc.record({
      key: fc.constantFrom(...keys, 'glyburide_metformin', '__proto__', 'constructor'),
      value: valueArb,
      drop: fc.constantFrom(...keys),
    }).map(({ key, value, drop }) => {
      const record: RequestRecord = { ...originExampleRecord() };
      delete record[drop];
      return JSON.stringify({ ...record, [key]: value });
    });
    const body = fc.oneof(mutatedRecord, fc.json(), fc.string());
    await fc.assert(fc.asyncProperty(body, fc.boolean(), async (payload, batch) => {
      const response = await app.inject({
        method: 'POST',
        url: batch ? '/predict/batch' : '/predict',
        payload: batch ? `{"records": [${payload}]}` : payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.statusCode, `${response.statusCode} for ${payload}: ${response.body}`).toBeLessThan(500);
      expect([200, 422]).toContain(response.statusCode);
    }), { numRuns: 300 });
  });
});

describe('GET /metrics', () => {
  const sample = (text: string, name: string, labels: string) =>
    Number(new RegExp(`^${name}\\{${labels.replace(/[{}()[\]/.*+?^$|\\]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const metrics = async () => (await app.inject('/metrics')).body;

  it('counts requests by route and status, times them, and names the model', async () => {
    const before = await metrics();
    const ok = 'method="POST",route="/predict",status_code="200"';
    const invalid = 'method="POST",route="/predict",status_code="422"';
    const missing = 'method="GET",route="unmatched",status_code="404"';
    for (let i = 0; i < 3; i++) await predict(originExampleRecord());
    await predict({});
    await app.inject('/no-such-route');
    const after = await metrics();
    expect(sample(after, 'http_requests_total', ok) - sample(before, 'http_requests_total', ok)).toBe(3);
    expect(sample(after, 'http_requests_total', invalid) - sample(before, 'http_requests_total', invalid)).toBe(1);
    expect(sample(after, 'http_requests_total', missing) - sample(before, 'http_requests_total', missing)).toBe(1);
    expect(sample(after, 'http_request_duration_seconds_count', ok) - sample(before, 'http_request_duration_seconds_count', ok)).toBe(3);
    expect(after).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/predict",status_code="200"\} \d+$/m);
    expect(sample(after, 'model_info', `name="${MODEL_INFO.name}",version="${MODEL_INFO.version}",run_id="${MODEL_INFO.run_id}",model_type="xgb"`)).toBe(1);
    expect(after).toMatch(/^model_ready 1$/m);
    const predictions = (text: string) => sample(text, 'predictions_total', 'prediction="0"') + sample(text, 'predictions_total', 'prediction="1"');
    expect(predictions(after) - predictions(before)).toBe(3);
  });

  it('is Prometheus text', async () => {
    const response = await app.inject('/metrics');
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^# TYPE http_requests_total counter$/m);
  });
});

describe('GET /openapi.json', () => {
  it('documents every route with its request and response schemas, and they are valid JSON Schemas', async () => {
    const response = await app.inject('/openapi.json');
    expect(response.statusCode).toBe(200);
    const doc = json<any>(response);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/health', '/metrics', '/model-info', '/predict', '/predict/batch', '/ready', '/v2/health/live', '/v2/health/ready', '/v2/models/{name}/ready'].sort(),
    );
    const ajv = new Ajv({ strict: false, allErrors: true });
    const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    const response200 = (path: string, method = 'post') => doc.paths[path][method].responses['200'].content['application/json'].schema;
    const validRecord = ajv.compile(body('/predict'));
    expect(validRecord(originExampleRecord())).toBe(true);
    expect(validRecord(underscored(originExampleRecord()))).toBe(true);
    expect(validRecord(hyphenated(originExampleRecord()))).toBe(true);
    expect(validRecord({ ...originExampleRecord(), age: 'old' })).toBe(false);
    expect(ajv.compile(body('/predict/batch'))({ records: [originExampleRecord()] })).toBe(true);
    for (const path of ['/predict', '/predict/batch']) {
      expect(Object.keys(doc.paths[path].post.responses).sort()).toEqual(['200', '413', '415', '422', '503']);
    }

    // What the service answers conforms to what the document says.
    expect(ajv.compile(response200('/predict'))(json(await predict(originExampleRecord())))).toBe(true);
    expect(ajv.compile(response200('/predict/batch'))(json(await predictBatch(fixture.records.slice(0, 3))))).toBe(true);
    expect(ajv.compile(response200('/model-info', 'get'))(json(await app.inject('/model-info')))).toBe(true);
    const invalid = doc.paths['/predict'].post.responses['422'].content['application/json'].schema;
    expect(ajv.compile(invalid)(json(await predict({ age: 3 })))).toBe(true);
    expect(doc.paths['/metrics'].get.responses['200'].content['text/plain']).toBeDefined();
  });
});

describe('readiness follows the model life cycle', () => {
  const options = () => ({ model: { onnx: fixture.onnxPath, metadata: fixture.metadata }, modelInfo: MODEL_INFO, autoLoad: false });

  it('is 503 with a reason before the model is loaded, and predictions are refused', async () => {
    const cold = buildApp(options());
    try {
      const health = await cold.inject('/health');
      expect([health.statusCode, json(health)]).toEqual([200, { status: 'healthy', model_loaded: false, preprocessor_loaded: false, model_state: 'not-loaded' }]);
      const ready = await cold.inject('/ready');
      expect([ready.statusCode, json(ready).reason]).toEqual([503, 'the model has not been loaded yet']);
      expect((await cold.inject('/v2/health/ready')).statusCode).toBe(400);
      const refused = await cold.inject({ method: 'POST', url: '/predict', payload: originExampleRecord() });
      expect(refused.statusCode).toBe(503);
      expect(json<ErrorBody>(refused).message).toContain('not been loaded');
      await cold.modelService.load();
      expect((await cold.inject('/ready')).statusCode).toBe(200);
    } finally {
      await cold.close();
    }
  });

  it('is 503 from the start of shutdown, while requests still in flight are answered', async () => {
    const warm = buildApp(options());
    try {
      await warm.modelService.load();
      warm.modelService.beginShutdown();
      const ready = await warm.inject('/ready');
      expect([ready.statusCode, json(ready).reason]).toEqual([503, 'the service is shutting down']);
      const late = await warm.inject({ method: 'POST', url: '/predict', payload: originExampleRecord() });
      expect(late.statusCode).toBe(200);
      expect(late.headers.connection).toBe('close');
      expect((await warm.inject('/metrics')).body).toMatch(/^model_ready 0$/m);
    } finally {
      await warm.close();
    }
  });

  it('stays 503 with the loader\'s reason when the model cannot be loaded', async () => {
    const broken = buildApp({ ...options(), model: { onnx: new Uint8Array(readFileSync(fixture.onnxPath).subarray(0, 200)), metadata: fixture.metadata } });
    try {
      await broken.modelService.load();
      const ready = await broken.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(json(ready).reason).toMatch(/^the model failed to load: cannot load the ONNX model/);
      expect((await broken.inject({ method: 'POST', url: '/predict', payload: originExampleRecord() })).statusCode).toBe(503);
    } finally {
      await broken.close();
    }
  });

  it('refuses metadata that breaks the contract when the app is built', () => {
    expect(() => buildApp({ ...options(), model: { onnx: fixture.onnxPath, metadata: { ...fixture.metadata, threshold: 2 } } })).toThrow(/threshold/);
  });
});
