/**
 * Prediction API benchmark: autocannon on loopback, single-record `POST /predict` for
 * --duration seconds, and the same load on `GET /health` (an empty route: the ceiling of
 * the HTTP stack on the same server in the same run). Prints one JSON object:
 *   throughput_rps  2xx /predict responses per second
 *   p50_ms, p99_ms  /predict latency
 *   errors          connection errors + timeouts + non-2xx responses of both phases
 *   ceiling_ratio   /predict throughput ÷ /health throughput (the cost of validation + inference)
 *   details         per-phase numbers, rows per ONNX run, the server's clean exit
 *
 *   npm run bench:api [-- --url http://127.0.0.1:8080] [--duration 10] [--connections 16]
 *
 * Without --url it builds the fixture model (test/unit/api/api-fixture.ts), bundles the
 * service (src/api/bundle.ts, what the image runs) and starts it with `node server.mjs` on a
 * free loopback port; with --url it targets a running service (e.g. the container). Either
 * way the requests cycle through the same 64 different records (api-fixture variedRecords).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { z } from 'zod';
import { bundleApi } from '../src/api/bundle.ts';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { buildApiFixture, variedRecords, type ApiFixture } from '../test/unit/api/api-fixture.ts';

const args = z.object({
  url: z.string().url().optional(),
  duration: z.coerce.number().positive().default(10),
  connections: z.coerce.number().int().positive().default(16),
  warmup: z.coerce.number().nonnegative().default(2),
  'model-type': z.enum(['lr', 'rf', 'xgb']).default('xgb'),
}).parse(parseFlags(process.argv.slice(2)));

function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}; flags are --url, --duration, --connections, --warmup, --model-type`);
    const [key, inline] = arg.slice(2).split('=', 2);
    flags[key!] = inline ?? argv[++i] ?? '';
  }
  return flags;
}

interface Phase {
  readonly rps: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function load(url: string, options: { duration: number; bodies?: string[] }): Promise<Phase> {
  let next = 0;
  const bodies = options.bodies;
  const result = await autocannon({
    url,
    connections: args.connections,
    duration: options.duration,
    ...(bodies
      ? {
          method: 'POST' as const,
          headers: { 'content-type': 'application/json' },
          requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies[next++ % bodies.length]! }) }],
        }
      : {}),
  });
  return {
    rps: round(result['2xx'] / result.duration),
    p50_ms: result.latency.p50,
    p90_ms: result.latency.p90,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function startServer(fixture: ApiFixture, bundleDir: string): Promise<{ child: ChildProcess; url: string }> {
  const { file } = await bundleApi(bundleDir);
  const child = spawn(process.execPath, [file], {
    cwd: bundleDir,
    env: { ...process.env, MODEL_DIR: fixture.modelDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /Server listening at (http:\/\/[^"\s]+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return { child, url };
}

async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/ready`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url}/ready did not answer 200 within ${timeoutMs / 1000} s`);
}

/** Mean rows per ONNX run, from the server's own histogram. */
async function rowsPerRun(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = /^inference_run_rows_sum (\S+)$/m.exec(text)?.[1];
  const count = /^inference_run_rows_count (\S+)$/m.exec(text)?.[1];
  return sum && count && Number(count) > 0 ? round(Number(sum) / Number(count), 2) : undefined;
}

async function main(): Promise<void> {
  const fixture = args.url ? undefined : buildApiFixture({ modelType: args['model-type'] });
  // Inside node_modules/, so the bundle resolves its external onnxruntime-node as in the image.
  let bundleDir: string | undefined;
  let server: { child: ChildProcess; url: string } | undefined;
  try {
    if (fixture) {
      mkdirSync(path.join(PROJECT_ROOT, 'node_modules/.cache'), { recursive: true });
      bundleDir = mkdtempSync(path.join(PROJECT_ROOT, 'node_modules/.cache/hp-api-bench-'));
      server = await startServer(fixture, bundleDir);
    }
    const url = (args.url ?? server!.url).replace(/\/$/, '');
    await waitReady(url);
    const bodies = variedRecords(64).map((record) => JSON.stringify(record));
    const check = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0] });
    if (check.status !== 200) throw new Error(`POST ${url}/predict answered ${check.status}: ${await check.text()}`);

    if (args.warmup > 0) await load(`${url}/predict`, { duration: args.warmup, bodies });
    const ceiling = await load(`${url}/health`, { duration: args.duration });
    const predict = await load(`${url}/predict`, { duration: args.duration, bodies });
    const rows = await rowsPerRun(url);

    let exitCode: number | null | undefined;
    if (server) {
      const exited = new Promise<number | null>((resolve) => server!.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      exitCode = await exited;
      server = undefined;
    }
    console.log(JSON.stringify({
      throughput_rps: predict.rps,
      p50_ms: predict.p50_ms,
      p99_ms: predict.p99_ms,
      errors: predict.errors + predict.non2xx + ceiling.errors + ceiling.non2xx,
      ceiling_ratio: ceiling.rps > 0 ? round(predict.rps / ceiling.rps, 3) : 0,
      details: {
        target: args.url ?? 'server.mjs (bundleApi) as a child process, fixture model',
        model_type: fixture?.metadata.model_type ?? 'as served',
        connections: args.connections,
        duration_s: args.duration,
        distinct_records: bodies.length,
        predict,
        ceiling_health: ceiling,
        mean_rows_per_onnx_run: rows,
        ...(exitCode !== undefined ? { server_exit_code_after_sigterm: exitCode } : {}),
      },
    }));
  } finally {
    server?.child.kill('SIGKILL');
    fixture?.cleanup();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }
}

await main();
