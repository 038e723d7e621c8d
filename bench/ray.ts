/**
 * HPO on a real Ray cluster vs the local Ray instance, same budget, one run: runs
 * bench/ray_hpo.py with the ML environment's Python (origin split of the real UCI file,
 * 4 LogisticRegression trials of 5 epochs, no early stopping), passes its progress (stderr)
 * through, validates its result and prints it as one JSON object. The cluster is a 1-CPU head
 * and BENCH_RAY_WORKERS (1) 1-CPU worker nodes, each started with `ray start` as a separate
 * process; the training command joins it through RAY_ADDRESS.
 *
 * Keys: `workers`, `trials`, `local_wall_s` / `cluster_wall_s` (Tune's wall, refit and ONNX
 * export left out), `trials_per_min_local` / `trials_per_min_cluster`, `nodes_used`,
 * `trials_per_node` (head / worker-N), `cluster_start_s`, `cpus`, `budget`, `data`, `val_f1`.
 * Both runs have the same 2 CPUs, and this machine has 2 cores: the cluster shows that the trials
 * are distributed over its nodes, not a speed-up (it pays for the extra node processes and the
 * package upload). The data file is HP_REAL_DATA, default
 * /work/shared/data/diabetes-130/diabetic_data.csv; when it is absent the benchmark prints
 * {"skipped": "..."} and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { stopOnCleanup } from '../src/host/cleanup.ts';

const PYTHON = process.env.HEALTH_PREDICT_TRAINER_PYTHON ?? path.join(PROJECT_ROOT, '.venv/ml/bin/python');
const SCRIPT = path.join(PROJECT_ROOT, 'bench/ray_hpo.py');

const seconds = z.number().nonnegative();
const count = z.number().int().nonnegative();
const benchResult = z.union([
  z.strictObject({ skipped: z.string().min(1) }),
  z
    .looseObject({
      workers: count,
      trials: count,
      local_wall_s: seconds,
      cluster_wall_s: seconds,
      trials_per_min_local: seconds,
      trials_per_min_cluster: seconds,
      nodes_used: count,
      trials_per_node: z.record(z.string(), count),
      budget: z.looseObject({ num_samples: count, max_epochs: count }),
      data: z.looseObject({ file: z.string(), train_rows: count }),
    })
    .refine((r) => Object.values(r.trials_per_node).reduce((a, b) => a + b, 0) === r.trials, {
      message: 'trials_per_node does not add up to trials',
      path: ['trials_per_node'],
    }),
]);

function fail(message: string): never {
  process.stderr.write(`bench:ray: ${message}\n`);
  process.exit(1);
}

if (!existsSync(PYTHON)) fail(`the ML Python environment is missing (${PYTHON}). Run \`make setup\` or set HEALTH_PREDICT_TRAINER_PYTHON.`);

// This machine sets PYTHONDONTWRITEBYTECODE: cache bytecode outside the venv, as the trainer's own children do.
const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
delete env.PYTHONDONTWRITEBYTECODE;
env.PYTHONPYCACHEPREFIX ??= path.join(PROJECT_ROOT, 'trainer/.cache/pycache');

// Its own process group, stopped however this benchmark ends. The Ray nodes run in groups of their
// own: SIGTERM lets the script stop them (they also stop when it dies), hence the longer grace.
const child = spawn(PYTHON, [SCRIPT], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
stopOnCleanup(child, { name: 'bench/ray_hpo.py', graceMs: 30_000 });
const lines: string[] = [];
const stdoutDone = new Promise<void>((resolve) => {
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line)).on('close', resolve);
});
const code = await new Promise<number>((resolve) => {
  child.on('error', (error) => fail(`cannot start ${PYTHON}: ${error.message}. Run \`make setup\`.`));
  child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
});
await stdoutDone;

const output = lines.filter((line) => line.trim() !== '');
for (const line of output.slice(0, -1)) process.stderr.write(`${line}\n`);
if (code !== 0) fail(`bench/ray_hpo.py exited with code ${code}; its progress and error are above.`);
const last = output.at(-1);
if (last === undefined) fail('bench/ray_hpo.py printed nothing on stdout; expected one JSON object.');
let json: unknown;
try {
  json = JSON.parse(last);
} catch (error) {
  fail(`the last stdout line of bench/ray_hpo.py is not JSON (${(error as Error).message}): ${last.slice(0, 200)}`);
}
const parsed = benchResult.safeParse(json);
if (!parsed.success) fail(`bench/ray_hpo.py printed an unexpected result:\n${z.prettifyError(parsed.error)}\n${last.slice(0, 500)}`);
console.log(JSON.stringify(json)); // as printed (validated above), key order kept
