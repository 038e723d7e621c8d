/**
 * Training benchmark on the real UCI file: runs trainer/bench_train.py (origin split,
 * production HPO budget, all three model types) with the ML environment's Python, passes its
 * progress (stderr) through, validates its result and prints it as one JSON object.
 * The data file is HP_REAL_DATA, default /work/shared/data/diabetes-130/diabetic_data.csv;
 * when it is absent the benchmark prints {"skipped": "..."} and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { stopOnCleanup } from '../src/host/cleanup.ts';

const PYTHON = process.env.HEALTH_PREDICT_TRAINER_PYTHON ?? path.join(PROJECT_ROOT, '.venv/ml/bin/python');
const SCRIPT = path.join(PROJECT_ROOT, 'trainer/bench_train.py');

const unit = z.number().min(0).max(1);
const modelResult = z.looseObject({
  test_auc: unit,
  test_f1: unit,
  val_f1: unit,
  threshold: unit,
  trials_run: z.number().int().nonnegative(),
  trials_stopped_early: z.number().int().nonnegative(),
  wall_s: z.number().nonnegative().optional(),
});
const benchResult = z.union([
  z.strictObject({ skipped: z.string().min(1) }),
  z
    .looseObject({
      champion: z.string(),
      champion_test_auc: unit,
      champion_test_f1: unit,
      wall_s: z.number().nonnegative(),
      models: z.record(z.string(), modelResult),
    })
    .refine((r) => r.champion in r.models, { message: 'the champion is not one of the models', path: ['champion'] }),
]);

function fail(message: string): never {
  process.stderr.write(`bench:train: ${message}\n`);
  process.exit(1);
}

if (!existsSync(PYTHON)) fail(`the ML Python environment is missing (${PYTHON}). Run \`make setup\` or set HEALTH_PREDICT_TRAINER_PYTHON.`);

// This machine sets PYTHONDONTWRITEBYTECODE: cache bytecode outside the venv, as the trainer's own children do.
const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
delete env.PYTHONDONTWRITEBYTECODE;
env.PYTHONPYCACHEPREFIX ??= path.join(PROJECT_ROOT, 'trainer/.cache/pycache');

// Its own process group, stopped as a whole (with Ray's workers) however this benchmark ends.
const child = spawn(PYTHON, [SCRIPT], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
stopOnCleanup(child, { name: 'trainer/bench_train.py', graceMs: 10_000 });
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
// Anything but the last line is not the result: keep stdout to the one JSON object.
for (const line of output.slice(0, -1)) process.stderr.write(`${line}\n`);
if (code !== 0) fail(`trainer/bench_train.py exited with code ${code}; its progress and error are above.`);
const last = output.at(-1);
if (last === undefined) fail('trainer/bench_train.py printed nothing on stdout; expected one JSON object.');
let json: unknown;
try {
  json = JSON.parse(last);
} catch (error) {
  fail(`the last stdout line of trainer/bench_train.py is not JSON (${(error as Error).message}): ${last.slice(0, 200)}`);
}
const parsed = benchResult.safeParse(json);
if (!parsed.success) fail(`trainer/bench_train.py printed an unexpected result:\n${z.prettifyError(parsed.error)}\n${last.slice(0, 500)}`);
console.log(JSON.stringify(json)); // as printed (validated above), key order kept
