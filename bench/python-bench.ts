/**
 * Runs a benchmark written in Python with the ML environment's Python (HEALTH_PREDICT_TRAINER_PYTHON
 * or .venv/ml): its progress (stderr, and any stdout line but the last) goes to stderr, its last
 * stdout line must be one JSON object that `schema` accepts, and that object is printed as the
 * benchmark's result, key order kept. The script runs in its own process group, stopped however
 * the benchmark ends; any failure exits 1 with a message naming the script.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { stopOnCleanup } from '../src/host/cleanup.ts';

export interface PythonBench {
  /** The npm script name, for messages (`bench:train`). */
  readonly name: string;
  /** The script, relative to the repository root (`trainer/bench_train.py`). */
  readonly script: string;
  readonly schema: z.ZodType;
  /** How long the script gets to stop its own children after SIGTERM. */
  readonly graceMs: number;
}

export async function runPythonBench({ name, script, schema, graceMs }: PythonBench): Promise<void> {
  const python = process.env.HEALTH_PREDICT_TRAINER_PYTHON ?? path.join(PROJECT_ROOT, '.venv/ml/bin/python');
  const fail = (message: string): never => {
    process.stderr.write(`${name}: ${message}\n`);
    process.exit(1);
  };
  if (!existsSync(python)) fail(`the ML Python environment is missing (${python}). Run \`make setup\` or set HEALTH_PREDICT_TRAINER_PYTHON.`);

  // This machine sets PYTHONDONTWRITEBYTECODE: cache bytecode outside the venv, as the trainer's own children do.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
  delete env.PYTHONDONTWRITEBYTECODE;
  env.PYTHONPYCACHEPREFIX ??= path.join(PROJECT_ROOT, 'trainer/.cache/pycache');

  const child = spawn(python, [path.join(PROJECT_ROOT, script)], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  stopOnCleanup(child, { name: script, graceMs });
  const lines: string[] = [];
  const stdoutDone = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line)).on('close', resolve);
  });
  const code = await new Promise<number>((resolve) => {
    child.on('error', (error) => fail(`cannot start ${python}: ${error.message}. Run \`make setup\`.`));
    child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  await stdoutDone;

  const output = lines.filter((line) => line.trim() !== '');
  // Anything but the last line is not the result: keep stdout to the one JSON object.
  for (const line of output.slice(0, -1)) process.stderr.write(`${line}\n`);
  if (code !== 0) fail(`${script} exited with code ${code}; its progress and error are above.`);
  const last = output.at(-1);
  if (last === undefined) return fail(`${script} printed nothing on stdout; expected one JSON object.`);
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch (error) {
    fail(`the last stdout line of ${script} is not JSON (${(error as Error).message}): ${last.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) fail(`${script} printed an unexpected result:\n${z.prettifyError(parsed.error)}\n${last.slice(0, 500)}`);
  console.log(JSON.stringify(json)); // as printed (validated above), key order kept
}
