/**
 * The API test suite `test_api_locally` runs against a freshly built image (and the deploy
 * verification can reuse): liveness and readiness, predictions (several records, both field
 * spellings) equal to what the evaluated model gives, every client-error class, the model
 * version, and the p95 latency against its budget. Every check runs; the result lists each one.
 * A check that fails on a transient network error (refused or reset connection) is run again,
 * up to `retries` times; once `signal` aborts (the whole test's deadline), the remaining checks
 * fail without being run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type Exchange, exchange as exchangeOnce, exchangeOversized, percentile } from './http.ts';
import { type RequestRecord, withHyphens, withUnderscores } from './records.ts';

export const apiCheckSchema = z.object({ name: z.string(), passed: z.boolean(), detail: z.string() });
export type ApiCheck = z.infer<typeof apiCheckSchema>;

export const apiSuiteResultSchema = z.object({
  passed: z.boolean(),
  checks: z.array(apiCheckSchema),
  latency: z.object({ requests: z.number().int(), p50_ms: z.number(), p95_ms: z.number(), p99_ms: z.number(), max_ms: z.number() }),
});
export type ApiSuiteResult = z.infer<typeof apiSuiteResultSchema>;

export interface ApiSuiteOptions {
  readonly baseUrl: string;
  /** The registered model the image must serve. */
  readonly expected: { readonly name: string; readonly version: string };
  readonly records: readonly RequestRecord[];
  /** p(positive) of each record from the evaluated model, to compare with what the API serves. */
  readonly probabilities?: readonly number[];
  /** Sequential single predictions timed for the latency baseline (default 200). */
  readonly latencyRequests?: number;
  /** A body larger than the API's limit, for the 413 check (default 8 MiB). */
  readonly oversizeBytes?: number;
  /** The latency check fails when the p95 of the sequential predictions is above this (default: no budget). */
  readonly p95BudgetMs?: number;
  /** Reruns of a check that failed on a transient network error (default 0). */
  readonly retries?: number;
  /** Aborted when the whole test is out of time: remaining checks fail unrun, requests in flight stop. */
  readonly signal?: AbortSignal;
}

/** A refused, reset or dropped connection: the request never got an HTTP answer. */
export function isTransientNetworkError(error: unknown): boolean {
  return error instanceof TypeError && (error.message === 'fetch failed' || /ECONN|socket|other side closed/i.test(String((error as { cause?: unknown }).cause)));
}

const PROBABILITY_TOLERANCE = 1e-5;
const predictionSchema = z.object({ prediction: z.union([z.literal(0), z.literal(1)]), probability_score: z.number().min(0).max(1), model_version: z.string() });

export async function runApiSuite(options: ApiSuiteOptions): Promise<ApiSuiteResult> {
  const { expected, records, signal } = options;
  if (!records.length) throw new RangeError('the API suite needs at least one record');
  const baseUrl = options.baseUrl;
  const exchange: typeof exchangeOnce = (url, path, init = {}) => exchangeOnce(url, path, { ...init, ...(signal ? { signal } : {}) });
  const retries = options.retries ?? 0;
  const checks: ApiCheck[] = [];
  const check = async (name: string, run: () => Promise<string>) => {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) {
        checks.push({ name, passed: false, detail: `not run: ${String(signal.reason?.message ?? signal.reason)}` });
        return;
      }
      try {
        checks.push({ name, passed: true, detail: await run() });
        return;
      } catch (error) {
        if (attempt < retries && isTransientNetworkError(error) && !signal?.aborted) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        const retried = attempt ? ` (after ${attempt} ${attempt === 1 ? 'retry' : 'retries'})` : '';
        checks.push({ name, passed: false, detail: `${(error as Error).message}${retried}` });
        return;
      }
    }
  };
  const expectStatus = (got: { status: number; body: unknown }, status: number, what: string) => {
    if (got.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${got.status} ${JSON.stringify(got.body).slice(0, 300)}`);
  };

  await check('health', async () => {
    const health = await exchange(baseUrl, '/health');
    expectStatus(health, 200, 'GET /health');
    const body = health.body as { status?: unknown; model_loaded?: unknown; preprocessor_loaded?: unknown };
    if (body.status !== 'healthy' || body.model_loaded !== true || body.preprocessor_loaded !== true) {
      throw new Error(`GET /health answered ${JSON.stringify(health.body).slice(0, 300)}, not the origin's {"status":"healthy","model_loaded":true,"preprocessor_loaded":true}`);
    }
    return 'GET /health answered 200, healthy, model and preprocessor loaded';
  });
  await check('ready', async () => {
    expectStatus(await exchange(baseUrl, '/ready'), 200, 'GET /ready');
    return 'GET /ready answered 200 (model loaded and warmed up)';
  });
  await check('model_version', async () => {
    const info = await exchange(baseUrl, '/model-info');
    expectStatus(info, 200, 'GET /model-info');
    const body = info.body as { name?: string; version?: string };
    if (String(body.version) !== expected.version || body.name !== expected.name) {
      throw new Error(`the image serves ${body.name} v${body.version}, but ${expected.name} v${expected.version} was registered`);
    }
    return `serves ${expected.name} v${expected.version}`;
  });
  await check('predictions', async () => {
    let worst = 0;
    for (const [i, record] of records.entries()) {
      for (const [spelling, body] of [['origin names', withUnderscores(record)], ['hyphen aliases', withHyphens(record)]] as const) {
        const got = await exchange(baseUrl, '/predict', { json: body });
        expectStatus(got, 200, `POST /predict (record ${i}, ${spelling})`);
        const parsed = predictionSchema.safeParse(got.body);
        if (!parsed.success) throw new Error(`POST /predict (record ${i}) answered an unexpected body: ${JSON.stringify(got.body)}`);
        if (parsed.data.model_version !== expected.version) throw new Error(`record ${i}: model_version ${parsed.data.model_version}, expected ${expected.version}`);
        const want = options.probabilities?.[i];
        if (want !== undefined) {
          const diff = Math.abs(parsed.data.probability_score - want);
          worst = Math.max(worst, diff);
          if (diff > PROBABILITY_TOLERANCE) throw new Error(`record ${i}: the API says p = ${parsed.data.probability_score}, the evaluated model ${want}`);
        }
      }
    }
    return `${records.length} records × 2 spellings (origin names, hyphen aliases)${options.probabilities ? `, max |Δp| vs the evaluated model ${worst.toExponential(1)}` : ''}`;
  });
  await check('batch', async () => {
    const got = await exchange(baseUrl, '/predict/batch', { json: { records } });
    expectStatus(got, 200, 'POST /predict/batch');
    const count = (got.body as { predictions?: unknown[] }).predictions?.length;
    if (count !== records.length) throw new Error(`POST /predict/batch returned ${count} predictions for ${records.length} records`);
    return `${records.length} records in one request`;
  });
  const [first] = records;
  const { age: _age, ...withoutAge } = first!;
  const post = (init: Parameters<typeof exchange>[2] & { path?: string }) => () => exchange(baseUrl, init.path ?? '/predict', init);
  const errorCases: [string, number, () => Promise<Exchange>][] = [
    ['missing field', 422, post({ json: withoutAge })],
    ['wrong type', 422, post({ json: { ...first, time_in_hospital: 'three' } })],
    ['wrong content type', 415, post({ body: 'race=Caucasian', contentType: 'text/plain' })],
    ['body too large', 413, () => exchangeOversized(baseUrl, '/predict', options.oversizeBytes ?? 8 * 1024 * 1024)],
    ['malformed JSON', 422, post({ body: '{"race": ', contentType: 'application/json' })],
    ['unknown route', 404, post({ path: '/no-such-route', json: first })],
  ];
  for (const [name, status, send] of errorCases) {
    await check(`error: ${name}`, async () => {
      expectStatus(await send(), status, `${name}`);
      return `answered ${status}`;
    });
  }

  let times: number[] = [];
  await check('latency', async () => {
    times = [];
    const n = options.latencyRequests ?? 200;
    for (let i = 0; i < n; i++) {
      const got = await exchange(baseUrl, '/predict', { json: records[i % records.length] });
      expectStatus(got, 200, `latency request ${i}`);
      times.push(got.ms);
    }
    const p95 = percentile([...times].sort((a, b) => a - b), 95);
    const budget = options.p95BudgetMs;
    if (budget !== undefined && p95 > budget) throw new Error(`p95 of ${n} sequential predictions is ${p95.toFixed(1)} ms, over the ${budget} ms budget (API_TEST_P95_MS)`);
    return `${n} sequential predictions, p95 ${p95.toFixed(1)} ms${budget === undefined ? '' : ` (budget ${budget} ms)`}`;
  });
  times.sort((a, b) => a - b);
  const round = (ms: number) => (Number.isFinite(ms) ? Math.round(ms * 100) / 100 : 0);
  return {
    passed: checks.every((c) => c.passed),
    checks,
    latency: { requests: times.length, p50_ms: round(percentile(times, 50)), p95_ms: round(percentile(times, 95)), p99_ms: round(percentile(times, 99)), max_ms: round(times.at(-1) ?? 0) },
  };
}
