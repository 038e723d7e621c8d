/**
 * Load runs for the API benchmarks (bench/api.ts, bench/origin-peer.ts): autocannon on
 * loopback with a closed loop of keep-alive connections, runs merged into phases with
 * latency percentiles over every request, the server's CPU time per response, and starting
 * the bundled service (what the image runs) on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { bundleApi } from '../src/api/bundle.ts';
import { stopOnCleanup, tempDir } from '../src/host/cleanup.ts';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import type { ApiFixture } from '../test/unit/api/api-fixture.ts';

/** `--key value`, `--key=value`, and `--switch` (for the names in `switches`: "true") → key → value. */
export function parseFlags(argv: readonly string[], switches: readonly string[] = []): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}; every flag starts with --`);
    const [key, inline] = arg.slice(2).split('=', 2);
    if (switches.includes(key!) && inline === undefined) flags[key!] = 'true';
    else flags[key!] = inline ?? argv[++i] ?? '';
  }
  return flags;
}

export interface Phase {
  readonly rps: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  /** The server's CPU time (user + system, all threads) per 2xx response; when the bench started it. */
  readonly server_cpu_us_per_request?: number;
}

export interface LoadOptions {
  readonly duration: number;
  readonly bodies?: string[];
  readonly connections: number;
  /** The server's pid, to read its CPU time around the phase. */
  readonly pid?: number;
}

/** User + system CPU time of a process in µs (Linux /proc; undefined elsewhere). */
function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;

/** One autocannon run, unaggregated (its latency histogram still encoded), and the server CPU time it cost. */
export interface Run {
  readonly raw: RawResult;
  readonly cpuMicros?: number;
}
/** What autocannon returns with skipAggregateResult: the input of aggregateResult. */
interface RawResult {
  readonly duration: number;
  readonly '2xx': number;
}
// aggregateResult is in autocannon's API (README: "autocannon.aggregateResult") but not in @types/autocannon.
const aggregateResult = (autocannon as unknown as {
  aggregateResult(results: readonly RawResult[], options: { url: string }): autocannon.Result;
}).aggregateResult;

export async function load(url: string, options: LoadOptions): Promise<Run> {
  const bodies = options.bodies;
  const cpuBefore = cpuMicros(options.pid);
  const raw = (await autocannon({
    url,
    connections: options.connections,
    duration: options.duration,
    skipAggregateResult: true,
    // One request per record, each connection cycling through them: autocannon builds each
    // request's bytes once. (A setupRequest callback would rebuild them for every request,
    // client CPU that this 2-core machine takes from the server under test.)
    ...(bodies
      ? { requests: bodies.map((body) => ({ method: 'POST' as const, headers: { 'content-type': 'application/json' }, body })) }
      : {}),
  })) as unknown as RawResult;
  const cpuAfter = cpuMicros(options.pid);
  return { raw, ...(cpuBefore !== undefined && cpuAfter !== undefined ? { cpuMicros: cpuAfter - cpuBefore } : {}) };
}

/** A run's 2xx responses per second. */
export const runRps = (run: Run) => run.raw['2xx'] / run.raw.duration;

/** Runs as one phase: rates over their total time, latency percentiles over every request of every run. */
export function phase(url: string, runs: readonly Run[]): Phase {
  const result = aggregateResult(runs.map((run) => run.raw), { url });
  const seconds = runs.reduce((total, run) => total + run.raw.duration, 0);
  const cpu = runs.every((run) => run.cpuMicros !== undefined) && result['2xx'] > 0
    ? round(runs.reduce((total, run) => total + run.cpuMicros!, 0) / result['2xx'])
    : undefined;
  return {
    rps: round(result['2xx'] / seconds),
    p50_ms: result.latency.p50,
    p90_ms: result.latency.p90,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    requests: result.requests.sent,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ...(cpu !== undefined ? { server_cpu_us_per_request: cpu } : {}),
  };
}

export const round = (x: number, digits = 1) => Number(x.toFixed(digits));

export interface StartedServer {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Bundles the service (src/api/bundle.ts, what the image runs) into a fresh directory inside
 * node_modules/, so the bundle resolves its external onnxruntime-node as in the image, and
 * starts it with the fixture model on a free loopback port. The server and its bundle are on
 * the process's cleanup stack: stopped and removed however the benchmark ends.
 */
export async function startServer(fixture: ApiFixture): Promise<StartedServer> {
  mkdirSync(path.join(PROJECT_ROOT, 'node_modules/.cache'), { recursive: true });
  const bundleDir = tempDir('hp-api-bench-', path.join(PROJECT_ROOT, 'node_modules/.cache')).path;
  const { file } = await bundleApi(bundleDir);
  const child = spawn(process.execPath, [file], {
    cwd: bundleDir,
    env: { ...process.env, MODEL_DIR: fixture.modelDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopOnCleanup(child, { name: 'the API server under test', graceMs: 5_000 });
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

/** Polls `url + route` until it answers 200; fails at once when `server` (its process) exits. */
export async function waitReady(url: string, route = '/ready', timeoutMs = 60_000, server?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server && server.exitCode !== null) throw new Error(`the server behind ${url} exited (${server.exitCode}) before ${route} answered 200`);
    const response = await fetch(`${url}${route}`).catch(() => undefined);
    if (response?.status === 200) return;
    await delay(200);
  }
  throw new Error(`${url}${route} did not answer 200 within ${timeoutMs / 1000} s`);
}
