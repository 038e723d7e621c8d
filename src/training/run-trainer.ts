/**
 * Runs the Python trainer as a child process, turns its progress lines into task log
 * entries, and returns its validated result. Exit 97 from the trainer (bad input data)
 * becomes a BadDataError; any other failure is retryable and carries the stderr tail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BadDataError, EXIT_NON_RETRYABLE } from '../runtime/index.ts';
import { trainerEventSchema, trainingResultSchema, type ModelType, type TrainerEvent, type TrainingResult } from './trainer-protocol.ts';

export interface TrainerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface TrainerRun {
  /** The Python interpreter of the ML environment. */
  readonly python: string;
  /** Directory holding the `health_predict_trainer` package (added to PYTHONPATH). */
  readonly packageDir: string;
  readonly trainCsv: string;
  readonly validationCsv: string;
  readonly featuresJson: string;
  readonly modelTypes: readonly ModelType[];
  readonly numSamples: number;
  readonly maxEpochs: number;
  readonly gracePeriod: number;
  readonly mlflowUri: string;
  readonly experiment: string;
  readonly dagRunId: string;
  readonly seed: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onEvent?: (event: TrainerEvent) => void;
}

const STDERR_TAIL_LINES = 40;

export async function runTrainer(run: TrainerRun, log: TrainerLog): Promise<TrainingResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hp-trainer-'));
  const resultsFile = path.join(work, 'results.json');
  const args = [
    '-m', 'health_predict_trainer', 'train',
    '--train', run.trainCsv,
    '--validation', run.validationCsv,
    '--features', run.featuresJson,
    '--model-types', run.modelTypes.join(','),
    '--num-samples', String(run.numSamples),
    '--max-epochs', String(run.maxEpochs),
    '--grace-period', String(run.gracePeriod),
    '--mlflow-uri', run.mlflowUri,
    '--experiment', run.experiment,
    '--dag-run-id', run.dagRunId,
    '--seed', String(run.seed),
    '--results', resultsFile,
  ];
  const env = { ...process.env, ...run.env, PYTHONPATH: [run.packageDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: '1' };
  log.info({ python: run.python, model_types: run.modelTypes, num_samples: run.numSamples, max_epochs: run.maxEpochs, grace_period: run.gracePeriod }, 'starting the trainer');
  try {
    const child = spawn(run.python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderrTail: string[] = [];
    const stdoutDone = consumeLines(child.stdout, (line) => report(line, log, run.onEvent));
    const stderrDone = consumeLines(child.stderr, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    });
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', (error) => reject(new Error(`Could not start the trainer with ${run.python}: ${error.message}. Run \`make setup\` or set HEALTH_PREDICT_TRAINER_PYTHON.`)));
      child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
    });
    await Promise.all([stdoutDone, stderrDone]);
    const tail = stderrTail.join('\n');
    if (code === EXIT_NON_RETRYABLE) throw new BadDataError(`The trainer rejected its input data:\n${tail}`);
    if (code !== 0) throw new Error(`The trainer exited with code ${code}. Last stderr lines:\n${tail}`);
    const parsed = trainingResultSchema.safeParse(JSON.parse(readFileSync(resultsFile, 'utf8')));
    if (!parsed.success) throw new Error(`The trainer wrote an unexpected results file: ${parsed.error.message}`);
    return parsed.data;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function consumeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', onLine);
  return new Promise((resolve) => lines.on('close', resolve));
}

function report(line: string, log: TrainerLog, onEvent: TrainerRun['onEvent']): void {
  let event: TrainerEvent;
  try {
    const parsed = trainerEventSchema.safeParse(JSON.parse(line));
    if (!parsed.success) return log.info({ trainer: line }, 'trainer output');
    event = parsed.data;
  } catch {
    return log.info({ trainer: line }, 'trainer output');
  }
  onEvent?.(event);
  switch (event.event) {
    case 'start':
      return log.info({ model_types: event.model_types, trials_per_type: event.trials_per_type }, 'training started');
    case 'trial_result':
      return log.info(
        { model_type: event.model_type, trial: event.trial, trials: event.trials, epoch: event.epoch, val_f1: event.val_f1, best_val_f1: event.best_val_f1 },
        `${event.model_type}: trial ${event.trial} of ${event.trials}, epoch ${event.epoch}, val F1 ${event.val_f1.toFixed(4)} (best so far ${event.best_val_f1.toFixed(4)})`,
      );
    case 'model_done':
      return log.info(
        { model_type: event.model_type, run_id: event.run_id, val_f1: event.val_f1, threshold: event.threshold, trials_run: event.trials_run, trials_stopped_early: event.trials_stopped_early },
        `${event.model_type}: best val F1 ${event.val_f1.toFixed(4)} at threshold ${event.threshold.toFixed(3)} (${event.trials_stopped_early} of ${event.trials_run} trials stopped early)`,
      );
    case 'done':
      return log.info({}, 'training finished');
  }
}
