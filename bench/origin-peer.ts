/**
 * Our prediction service against the origin project's way of serving a model
 * (bench/origin_peer.py: FastAPI + pydantic + a pandas DataFrame per request + an MLflow pyfunc
 * of a scikit-learn Pipeline). We serve the fixture model (xgb, ONNX). The peer serves, with
 * --peer-model origin (default), the origin's own kind of model fit on the fixture's training
 * rows (StandardScaler + one-hot + XGBoost: light preprocessing); with --peer-model same, our
 * trainer's Pipeline of the very model we serve (its preprocessing costs scikit-learn ~45 ms a
 * row, so this peer is far slower). The same single-record `POST /predict` load (autocannon,
 * --connections keep-alive connections) alternates between the two in --rounds rounds. Prints
 * one JSON object: each side's throughput, p50/p99 and server CPU per request, and
 * `throughput_ratio` (ours ÷ peer). With `same`, both must first score one record alike (ONNX vs
 * scikit-learn within 1e-4).
 *
 *   npm run bench:origin-peer [-- --peer-model origin|same] [--duration 10] [--rounds 5] [--connections 16]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { removeOnCleanup, runCleanup, stopOnCleanup } from '../src/host/cleanup.ts';
import { freePort } from '../src/host/ports.ts';
import { buildApiFixture, variedRecords } from '../test/unit/api/api-fixture.ts';
import { ML_PYTHON } from '../test/unit/evaluation/onnx-fixture.ts';
import { load, parseFlags, phase, round, startServer, waitReady, type Run } from './api-load.ts';

const args = z.object({
  duration: z.coerce.number().positive().default(10),
  rounds: z.coerce.number().int().positive().default(5),
  connections: z.coerce.number().int().positive().default(16),
  'peer-model': z.enum(['origin', 'same']).default('origin'),
}).strict().parse(parseFlags(process.argv.slice(2)));

// Everything started below is on the cleanup stack: stopped and removed however this ends.
const fixture = buildApiFixture({ modelType: 'xgb', pickle: args['peer-model'] === 'same' });
removeOnCleanup(fixture.dir);
const ours = await startServer(fixture);
await waitReady(ours.url, '/ready', 60_000, ours.child);
const peerPort = await freePort();
const peerArgs = [fixture.modelDir, String(peerPort), args['peer-model'], path.join(fixture.dir, 'splits/train.csv')];
const peer = spawn(ML_PYTHON, [path.join(PROJECT_ROOT, 'bench/origin_peer.py'), ...peerArgs], {
  env: { ...process.env, PYTHONPATH: path.join(PROJECT_ROOT, 'trainer/src') },
  stdio: ['ignore', 'inherit', 'inherit'],
});
stopOnCleanup(peer, { name: 'the origin-style peer service', graceMs: 5_000 });
const peerUrl = `http://127.0.0.1:${peerPort}`;
await waitReady(peerUrl, '/health', 180_000, peer);

const bodies = variedRecords(64).map((record) => JSON.stringify(record));
const [mine, theirs] = await Promise.all([ours.url, peerUrl].map((url) => scoreOne(url, bodies[0]!)));
if (args['peer-model'] === 'same' && Math.abs(mine! - theirs!) > 1e-4) {
  throw new Error(`the two services disagree on one record (${mine} vs ${theirs}): not the same model`);
}

const targets = { ours: { url: ours.url, pid: ours.child.pid }, peer: { url: peerUrl, pid: peer.pid } };
for (const { url } of Object.values(targets)) await load(`${url}/predict`, { duration: 2, bodies, connections: args.connections });
const runs: Record<keyof typeof targets, Run[]> = { ours: [], peer: [] };
for (let r = 0; r < args.rounds; r++) {
  for (const [name, { url, pid }] of Object.entries(targets) as [keyof typeof targets, (typeof targets)['ours']][]) {
    runs[name].push(await load(`${url}/predict`, { duration: args.duration / args.rounds, bodies, connections: args.connections, ...(pid ? { pid } : {}) }));
  }
}
const result = { ours: phase(`${ours.url}/predict`, runs.ours), peer: phase(`${peerUrl}/predict`, runs.peer) };
console.log(JSON.stringify({
  benchmark: 'api-vs-origin-peer',
  peer_model: args['peer-model'],
  throughput_rps: result.ours.rps,
  peer_throughput_rps: result.peer.rps,
  throughput_ratio: result.peer.rps > 0 ? round(result.ours.rps / result.peer.rps, 2) : null,
  errors: result.ours.errors + result.ours.non2xx + result.peer.errors + result.peer.non2xx,
  details: { connections: args.connections, duration_s: args.duration, rounds: args.rounds, ...result },
}));
await runCleanup();

async function scoreOne(url: string, body: string): Promise<number> {
  const response = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${url}/predict answered ${response.status}: ${text}`);
  return (JSON.parse(text) as { probability_score: number }).probability_score;
}
