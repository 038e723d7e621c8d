/**
 * Prediction API benchmark: autocannon on loopback, single-record `POST /predict` for
 * --duration seconds, and the same load on `GET /health` (an empty route: the ceiling of
 * the HTTP stack on the same server in the same run). The two alternate in --rounds rounds
 * (default 5, of duration/rounds seconds each), so a neighbour's burst of load on a shared
 * machine falls on both sides of the ratio instead of on one phase. Prints one JSON object:
 *   throughput_rps  2xx /predict responses per second, over all rounds
 *   p50_ms, p99_ms  /predict latency over every request of every round
 *   errors          connection errors + timeouts + non-2xx responses of every phase
 *   ceiling_ratio   /predict throughput ÷ /health throughput over all rounds (the cost of
 *                   validation + inference); details.round_ratios has each round's
 *   details         per-phase numbers, rows per ONNX run, the server's clean exit, and — when
 *                   the bench started the server — its CPU time per request in each phase
 *                   (server_cpu_us_per_request; Linux /proc). On a machine shared with other work
 *                   the rps of both phases move with the neighbours' load; CPU per request does
 *                   not, so cpu_ceiling_ratio (health CPU ÷ predict CPU per request) is the
 *                   ratio an idle machine would show. Compare variants in the same run, repeat.
 *
 *   npm run bench:api [-- --url http://127.0.0.1:8080 | --container] [--duration 10] [--rounds 5] [--connections 16] [--sweep 1,4,16,64]
 *
 * The load: --connections (default 16) keep-alive connections, each with one request in
 * flight (a closed loop, so the offered load adapts to the service). 16 is what the targets
 * (p99 ≤ 10 ms, ceiling_ratio ≥ 0.5) are measured at: it saturates one Node process on this
 * machine (the micro-batcher then merges ~10 requests per ONNX run) without queueing so deep
 * that latency only measures the queue. --sweep adds a /predict phase at each listed
 * connection count (details.sweep: rps and p50/p99 per level), to find the load where
 * throughput stops growing and report p99 there too.
 *
 * Without --url it builds the fixture model (test/unit/api/api-fixture.ts), bundles the
 * service (src/api/bundle.ts, what the image runs) and starts it with `node server.mjs` on a
 * free loopback port; with --url it targets a running service. Either way the requests cycle
 * through the same 64 different records (api-fixture variedRecords).
 *
 * --container builds the image as build_api_image does (src/images: ensureBaseImage, then
 * buildApiImage with the fixture model), runs it (host network, free loopback port, waits for
 * /ready), benchmarks it and removes container and image. It needs a Docker daemon: the
 * stack's (`node bin/health-predict.mjs stack up --services docker`, then
 * `eval "$(node bin/health-predict.mjs stack env)"` for DOCKER_HOST) or any in DOCKER_HOST.
 * server_cpu_us_per_request is not reported then (the server is not the bench's child).
 *
 * Against a container you run yourself (the image listens on PORT, default 8080, and serves
 * the model baked in at /app/model):
 *   docker run -d --rm --name hp-api-bench --network host -e PORT=18080 <image ref>
 *   npm run bench:api -- --url http://127.0.0.1:18080
 *   docker stop hp-api-bench
 * (host network as test_api_locally runs it; with the default bridge network use
 * `-p 127.0.0.1:18080:8080` and leave PORT alone). The bench waits for GET /ready itself.
 */
import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { onCleanup, removeOnCleanup } from '../src/host/cleanup.ts';
import { ensureBaseImage } from '../src/images/base-image.ts';
import { buildApiImage } from '../src/images/build.ts';
import { connectDocker, ensureDaemon } from '../src/images/docker.ts';
import { withContainer } from '../src/images/run.ts';
import { buildApiFixture, MODEL_INFO, variedRecords, type ApiFixture } from '../test/unit/api/api-fixture.ts';
import { load, parseFlags, phase, round, runRps, startServer, waitReady, type Phase, type Run, type StartedServer } from './api-load.ts';

const args = z.object({
  url: z.string().url().optional(),
  duration: z.coerce.number().positive().default(10),
  rounds: z.coerce.number().int().positive().default(5),
  connections: z.coerce.number().int().positive().default(16),
  warmup: z.coerce.number().nonnegative().default(2),
  'model-type': z.enum(['lr', 'rf', 'xgb']).default('xgb'),
  container: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
  sweep: z.string().regex(/^\d+(,\d+)*$/, 'a comma-separated list of connection counts, e.g. 1,4,16,64').optional(),
}).strict().parse(parseFlags(process.argv.slice(2), ['container']));

/** Mean rows per ONNX run, from the server's own histogram. */
async function rowsPerRun(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = /^inference_run_rows_sum (\S+)$/m.exec(text)?.[1];
  const count = /^inference_run_rows_count (\S+)$/m.exec(text)?.[1];
  return sum && count && Number(count) > 0 ? round(Number(sum) / Number(count), 2) : undefined;
}

/**
 * Builds the API image around the fixture model, runs it, and hands its URL to `fn`. The image
 * and every container made from it are on the cleanup stack, removed however the benchmark ends.
 */
async function withApiContainer<T>(fixture: ApiFixture, fn: (url: string) => Promise<T>): Promise<T> {
  const docker = connectDocker();
  await ensureDaemon(docker);
  const base = await ensureBaseImage({ docker });
  const image = await buildApiImage({
    docker,
    model: { name: MODEL_INFO.name, version: MODEL_INFO.version, runId: MODEL_INFO.run_id, dir: fixture.modelDir },
    baseImage: base.tag,
  });
  onCleanup({ name: `the image ${image.reference}`, dispose: () => docker.getImage(image.reference).remove({ force: true }) });
  onCleanup({
    name: `the containers of ${image.reference}`,
    dispose: async () => {
      const containers = await docker.listContainers({ all: true, filters: { ancestor: [image.reference] } });
      await Promise.all(containers.map((container) => docker.getContainer(container.Id).remove({ force: true })));
    },
  });
  return withContainer({ docker, image: image.reference, readyTimeoutMs: 120_000 }, ({ baseUrl }) => fn(baseUrl));
}

async function main(): Promise<void> {
  if (args.url && args.container) throw new Error('--url and --container exclude each other: benchmark a running service, or build and run the image');
  const fixture = args.url ? undefined : buildApiFixture({ modelType: args['model-type'] });
  if (fixture) removeOnCleanup(fixture.dir);
  if (fixture && args.container) {
    await withApiContainer(fixture, (url) => measure(url, undefined, 'the API image (buildApiImage) in a container, fixture model', fixture));
    return;
  }
  const started: StartedServer | undefined = fixture ? await startServer(fixture) : undefined;
  await measure(started?.url ?? args.url!, started?.child, args.url ?? 'server.mjs (bundleApi) as a child process, fixture model', fixture);
}

/** The phases against `baseUrl`; prints the JSON result. Stops `server` (SIGTERM) when given, and reports its exit code. */
async function measure(baseUrl: string, server: ChildProcess | undefined, target: string, fixture?: ApiFixture): Promise<void> {
  const url = baseUrl.replace(/\/$/, '');
  await waitReady(url);
  const bodies = variedRecords(64).map((record) => JSON.stringify(record));
  const check = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0] });
  if (check.status !== 200) throw new Error(`POST ${url}/predict answered ${check.status}: ${await check.text()}`);

  const pid = server?.pid;
  if (args.warmup > 0) await load(`${url}/predict`, { duration: args.warmup, bodies, connections: args.connections });
  const ceilingRuns: Run[] = [];
  const predictRuns: Run[] = [];
  for (let r = 0; r < args.rounds; r++) {
    ceilingRuns.push(await load(`${url}/health`, { duration: args.duration / args.rounds, connections: args.connections, pid }));
    predictRuns.push(await load(`${url}/predict`, { duration: args.duration / args.rounds, bodies, connections: args.connections, pid }));
  }
  const ceiling = phase(`${url}/health`, ceilingRuns);
  const predict = phase(`${url}/predict`, predictRuns);
  const rows = await rowsPerRun(url);
  const sweep: (Phase & { connections: number })[] = [];
  for (const connections of args.sweep?.split(',').map(Number) ?? []) {
    sweep.push({ connections, ...phase(`${url}/predict`, [await load(`${url}/predict`, { duration: args.duration, bodies, connections, pid })]) });
  }

  let exitCode: number | null | undefined;
  if (server) {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    exitCode = await exited;
  }
  console.log(JSON.stringify({
    throughput_rps: predict.rps,
    p50_ms: predict.p50_ms,
    p99_ms: predict.p99_ms,
    errors: [predict, ceiling, ...sweep].reduce((sum, phase) => sum + phase.errors + phase.non2xx, 0),
    ceiling_ratio: ceiling.rps > 0 ? round(predict.rps / ceiling.rps, 3) : 0,
    details: {
      target,
      model_type: fixture?.metadata.model_type ?? 'as served',
      connections: args.connections,
      duration_s: args.duration,
      distinct_records: bodies.length,
      rounds: args.rounds,
      round_ratios: predictRuns.map((run, i) => round(runRps(run) / runRps(ceilingRuns[i]!), 3)),
      predict,
      ceiling_health: ceiling,
      mean_rows_per_onnx_run: rows,
      ...(predict.server_cpu_us_per_request && ceiling.server_cpu_us_per_request
        ? { cpu_ceiling_ratio: round(ceiling.server_cpu_us_per_request / predict.server_cpu_us_per_request, 3) }
        : {}),
      ...(sweep.length > 0 ? { sweep } : {}),
      ...(exitCode !== undefined ? { server_exit_code_after_sigterm: exitCode } : {}),
    },
  }));
}

await main();
