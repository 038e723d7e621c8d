/**
 * The closed loop on the real UCI file: the origin split trains the first production model,
 * then the raw file's held-back rows arrive as nine batches (batch_size = ⌈held-back rows / 9⌉).
 * Per batch, drift monitoring measures it against production and decides; a 'retrain' runs the
 * improvement tasks on the reference plus the batches so far, and a model that passes the gates
 * is promoted. Beside it, the first production model is never retrained (the baseline) and is
 * scored on the same batches. Prints one JSON object:
 *   batches            how many batches arrived (9)
 *   triggered          batches whose drift check said 'retrain'
 *   deploys            promotions after those retrainings (the first, bootstrap promotion is the baseline, not counted)
 *   production_f1      per batch: F1 of the model in production when the batch arrived (measure_drift's batch_f1)
 *   baseline_f1        per batch: F1 of the never-retrained first model on the same rows
 *   regressions        deploys after batch k whose new model scored below the model it replaced on batch k + 1
 *   regression_details per deploy: both F1s on the next batch (a deploy after the last batch has none: said so)
 *   mean_production_f1, mean_baseline_f1, targets (regressions 0, mean production ≥ mean baseline)
 *   per_batch          index, level, score, score_source, prediction_psi, action, production_version,
 *                      production_f1, baseline_f1, retraining (decision, candidate, deployed version)
 *   initial, hpo, cooldown_hours, thresholds (drift and gates), rows, wall_s, plot
 *
 *   npm run bench:loop [-- --plot bench/results/loop.svg --num-samples 1 --max-epochs 1 --grace-period 1 --model-types lr,rf,xgb]
 *
 * The task scripts are the real ones, run in-process in DAG order through the runtime's runTask
 * with the inputs health-predict.dag.ts and drift-monitoring.dag.ts bind (HP_INPUT holds the
 * assembled input; each task's last stdout line is its XCom). A task that fails (any exit but 0
 * and 99) ends the bench with exit 1 after the JSON, which then carries `error`. The deploy stops
 * at the registry (register_and_promote_model moves the `production` alias): the image, ECR and
 * Kubernetes stages do not change which model scores the next batch, so they are not what this
 * measures (bench:pipeline and bench:rollout do).
 *
 * Settings, and why:
 * - DRIFT_ALERT_COOLDOWN_HOURS=0 (`cooldown_hours` in the JSON): the cooldown is wall-clock and
 *   this compresses nine 3-hour monitoring periods into minutes, so the default 6 h would silence
 *   every batch after the first alert. Drift and gate thresholds are the defaults (inherited
 *   overrides are dropped) and are printed.
 * - A reduced HPO budget (`hpo`): all three model types, one trial each, one epoch (lr 25
 *   iterations, rf 30 trees, xgb 90 rounds), so up to ten trainings fit in about 25 minutes on two
 *   cores. Measured on a retraining with 42 000 training rows: 3 epochs took 185 s (xgb's refit and
 *   ONNX export 90 s of it), and each type's validation F1 after epoch 1 was within 0.001 of
 *   epoch 3 (lr 0.7081 / 0.7080, rf 0.7118 / 0.7107, xgb 0.7082 / 0.7090).
 * - MIN_SAMPLE_SIZE keeps its default (1000): a retraining tests on the newest batch's last
 *   25 % (about 2 200 cleaned rows of a ~9 000-row batch), above it.
 *
 * Services: a private stack (MLflow and moto only) in a temporary directory; everything it starts,
 * the trainer included, is on the cleanup stack. Skips with {"skipped": reason} when the UCI file
 * is absent. The plot (both curves, deploys marked) goes to bench/results/loop.svg (ignored by git)
 * or --plot.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { readBatchRows } from '../src/data/batch-rows.ts';
import { createObjectStore, joinUri, type ObjectStore } from '../src/data/object-store.ts';
import { heldBackRange } from '../src/data/split.ts';
import { DRIFT_ALERT_COOLDOWN, DRIFT_SETTINGS, driftReportSchema, driftThresholdsFromEnv } from '../src/drift/index.ts';
import { labelsFromRows } from '../src/evaluation/evaluate.ts';
import { confusionMatrix, f1 } from '../src/evaluation/metrics.ts';
import { resolveGateConfig } from '../src/gates/config.ts';
import { type ProductionModel, productionModel } from '../src/gates/production-model.ts';
import { exitAfterCleanup, onCleanup, tempDir } from '../src/host/cleanup.ts';
import { commandLine, isAlive, procState, sendSignal } from '../src/host/process.ts';
import { GATE_SETTINGS } from '../src/pipeline/contract/gates.ts';
import { mlflowClientFromEnv } from '../src/registry/index.ts';
import { EXIT_OK, EXIT_SKIP, runTask, type TaskDefinition, type TaskOutput } from '../src/runtime/index.ts';
import { stackDown, stackEnv, stackUp } from '../src/stack/index.ts';
import compareAgainstProduction from '../src/tasks/compare-against-production.ts';
import evaluateModelPerformance from '../src/tasks/evaluate-model-performance.ts';
import measureDrift from '../src/tasks/measure-drift.ts';
import prepareTrainingData from '../src/tasks/prepare-training-data.ts';
import registerAndPromoteModel from '../src/tasks/register-and-promote-model.ts';
import runTrainingAndHpo from '../src/tasks/run-training-and-hpo.ts';
import takeNextBatch from '../src/tasks/take-next-batch.ts';
import { type LoopPoint, loopSvg } from './loop-plot.ts';

const args = z
  .object({
    plot: z.string().default(path.join(PROJECT_ROOT, 'bench/results/loop.svg')),
    'model-types': z.string().default('lr,rf,xgb'),
    'num-samples': z.coerce.number().int().positive().default(1),
    'max-epochs': z.coerce.number().int().positive().default(1),
    'grace-period': z.coerce.number().int().positive().default(1),
  })
  .parse(Object.fromEntries(process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2).split('=')[0], arg.includes('=') ? arg.split('=')[1] : all[i + 1]]] : []))));

const BATCHES = 9;
const BUCKET = 'hp-bench-loop';
const IMPROVEMENT_DAG = 'health_predict_continuous_improvement';
const DRIFT_DAG = 'health_predict_drift_monitoring';
const MODEL_NAME = 'health-predict-readmission';
const DATA_FILE = process.env.HP_REAL_DATA ?? path.resolve(PROJECT_ROOT, '../shared/data/diabetes-130/diabetic_data.csv');
/** Inherited settings that would replace the defaults under test (thresholds, HPO budget, a Ray cluster). */
const SETTING_ENV = new Set<string>([...Object.values(GATE_SETTINGS).map((s) => s.env), ...Object.values(DRIFT_SETTINGS).map((s) => s.env)]);
const overridesDefault = (name: string) => /^(RAY_|TRAINING_)/.test(name) || SETTING_ENV.has(name);

const say = (line: string) => process.stderr.write(`[bench:loop] ${line}\n`);

/** Set on Ctrl-C / SIGTERM (the cleanup stack then stops everything): the task that failed meanwhile was stopped, not broken. */
let interrupted = false;
const noteInterrupts = () => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => (interrupted = true)));

const round = (value: number) => Number(value.toFixed(4));
const mean = (values: readonly number[]) => (values.length ? round(values.reduce((a, b) => a + b, 0) / values.length) : null);

/** A task that exited neither 0 nor 99: the bench stops there. */
class TaskFailed extends Error {}

/** Runs the real task scripts in-process, one DAG run id per DAG run, their JSON logs into `logFile`. */
function taskRunner(logFile: string) {
  return async function step<T extends TaskDefinition<any, any>>(def: T, at: { dagId: string; runId: string; taskId: string }, input: object): Promise<TaskOutput<T> | undefined> {
    const started = performance.now();
    const stdout: string[] = [];
    const logLines: string[] = [];
    const code = await runTask(def, {
      env: { HP_DAG_ID: at.dagId, HP_TASK_ID: at.taskId, HP_RUN_ID: at.runId, HP_TRY_NUMBER: '1', HP_INPUT: JSON.stringify(input) },
      stdout: (line) => stdout.push(line),
      writeFile: (file, data) => writeFileSync(file, data),
      logDestination: {
        write: (chunk: string) => {
          logLines.push(chunk);
          appendFileSync(logFile, chunk);
        },
      },
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (code === EXIT_SKIP) {
      say(`${at.runId} ${at.taskId}: skipped after ${seconds} s`);
      return undefined;
    }
    if (code !== EXIT_OK) {
      const tail = logLines.join('').trimEnd().split('\n').slice(-25).map((line) => (line.length > 600 ? `${line.slice(0, 600)} …` : line));
      process.stderr.write(`${tail.join('\n')}\n`);
      throw new TaskFailed(`task ${at.taskId} of ${at.runId} exited ${code} after ${seconds} s (its last log lines are above)`);
    }
    say(`${at.runId} ${at.taskId}: ok in ${seconds} s`);
    return JSON.parse(stdout.at(-1)!) as TaskOutput<T>;
  };
}
type Step = ReturnType<typeof taskRunner>;

/** F1 of `model` on `rows` at the model's own decision threshold: the measure measure_drift takes of production. */
async function f1On(model: ProductionModel, rows: readonly Record<string, string>[], target: string): Promise<number> {
  const scorer = await model.load();
  try {
    return f1(confusionMatrix(labelsFromRows(rows, target), await scorer.score(rows), scorer.threshold));
  } finally {
    await scorer.dispose();
  }
}

/**
 * Stops this process's own non-detached children and everything under them: the trainer and its
 * Ray processes, which the run-training task starts without a handle the bench could register.
 * Detached children (the stack's services) lead their own groups and are stopped by stackDown.
 * The temporary directories the trainer's command line names (hp-training-…, hp-trainer-…) are
 * removed after it: the task's own `finally` may not run before the process exits.
 */
async function stopChildTree(): Promise<void> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const walk = (pid: number) => (children.get(pid) ?? []).forEach((child) => (tree.push(child), walk(child)));
  for (const child of children.get(process.pid) ?? []) if (procState(child)?.pgrp !== child) (tree.push(child), walk(child));
  const trainerDirs = new Set(tree.flatMap((pid) => (commandLine(pid) ?? '').split(' ')).flatMap((arg) => /^(.*\/hp-train(?:ing|er)-[^/]+)\//.exec(arg)?.[1] ?? []));
  tree.forEach((pid) => sendSignal(pid, 'SIGTERM'));
  await new Promise<void>((resolve) => {
    const deadline = Date.now() + 10_000;
    const check = () => {
      const alive = tree.filter(isAlive);
      if (alive.length === 0) return resolve();
      if (Date.now() > deadline) return (alive.forEach((pid) => sendSignal(pid, 'SIGKILL')), resolve());
      setTimeout(check, 200);
    };
    check();
  });
  for (const dir of trainerDirs) rmSync(dir, { recursive: true, force: true });
}

interface RetrainingResult {
  readonly decision: string;
  readonly summary: string;
  /** The gate rules that said no, each with its sentence (empty on a deploy). */
  readonly failed_rules: { name: string; detail: string }[];
  readonly candidate: { model_type: string; f1: number };
  readonly production_f1_on_test: number | null;
  readonly test_rows: number;
  readonly deployed_version: string | null;
}

/** One improvement DAG run, promotion included when the gates deploy (the deploy path stops at the registry). */
async function improve(step: Step, runId: string, uris: { raw: string; prepared: string }, conf: { batches: string[]; drift_level: string | null; drift_report_uri: string | null }) {
  const at = (taskId: string) => ({ dagId: IMPROVEMENT_DAG, runId, taskId });
  const required = <T>(value: T | undefined, task: string): T => {
    if (value === undefined) throw new TaskFailed(`task ${task} of ${runId} skipped itself; the improvement DAG has no skip path there`);
    return value;
  };
  const manifest = required(await step(prepareTrainingData, at('prepare_training_data'), { source_uri: uris.raw, output_uri: uris.prepared, per_run: true, batches: conf.batches }), 'prepare_training_data');
  const training = required(await step(runTrainingAndHpo, at('run_training_and_hpo'), { manifest }), 'run_training_and_hpo');
  const evaluation = required(await step(evaluateModelPerformance, at('evaluate_model_performance'), { training, manifest }), 'evaluate_model_performance');
  const outcome = required(
    await step(compareAgainstProduction, at('compare_against_production'), {
      evaluation,
      manifest,
      improvement_threshold: null,
      force_deployment: false,
      drift_level: conf.drift_level,
      drift_report_uri: conf.drift_report_uri,
    }),
    'compare_against_production',
  );
  const promotion = outcome.decision === 'SKIP' ? undefined : required(await step(registerAndPromoteModel, at('register_and_promote_model'), { outcome }), 'register_and_promote_model');
  const result: RetrainingResult = {
    decision: outcome.decision,
    summary: outcome.summary,
    failed_rules: outcome.rules.filter((rule) => rule.passed === false).map(({ name, detail }) => ({ name, detail })),
    candidate: { model_type: outcome.candidate.model_type, f1: round(outcome.candidate.f1) },
    production_f1_on_test: outcome.production ? round(outcome.production.f1) : null,
    test_rows: outcome.rows,
    deployed_version: promotion?.version ?? null,
  };
  return { manifest, result };
}

async function main(): Promise<{ result: object; succeeded: boolean }> {
  if (!existsSync(DATA_FILE)) return { result: { skipped: `the UCI file is absent (${DATA_FILE}); set HP_REAL_DATA` }, succeeded: true };
  const started = performance.now();
  const work = tempDir('hp-bench-loop-').path;
  noteInterrupts();
  const stateDir = path.join(work, 'stack');
  const logFile = path.join(work, 'tasks.log');
  say(`stack up --services mlflow,moto (state ${stateDir}); task logs in ${logFile}`);
  const info = await stackUp({ stateDir, services: ['mlflow', 'moto'], ports: { mlflow: 0, moto: 0 } });
  onCleanup({ name: `the private stack in ${stateDir}`, timeoutMs: 120_000, dispose: () => stackDown({ stateDir, services: ['mlflow', 'moto'] }) });
  onCleanup({ name: 'the trainer and its Ray processes', timeoutMs: 20_000, dispose: stopChildTree });

  for (const name of Object.keys(process.env)) if (overridesDefault(name)) delete process.env[name];
  const services = stackEnv(info);
  Object.assign(process.env, services, {
    MODEL_NAME,
    MLFLOW_EXPERIMENT_NAME: 'health-predict-bench-loop',
    DRIFT_MLFLOW_EXPERIMENT_NAME: 'health-predict-bench-loop-drift',
    [DRIFT_ALERT_COOLDOWN.env]: '0',
    TRAINING_MODEL_TYPES: args['model-types'],
    RAY_NUM_SAMPLES: String(args['num-samples']),
    RAY_MAX_EPOCHS: String(args['max-epochs']),
    RAY_GRACE_PERIOD: String(args['grace-period']),
  });
  const settings = {
    hpo: { model_types: args['model-types'].split(','), num_samples: args['num-samples'], max_epochs: args['max-epochs'], grace_period: args['grace-period'] },
    cooldown_hours: 0,
    thresholds: { drift: driftThresholdsFromEnv(process.env), gates: resolveGateConfig(process.env) },
  };

  const uris = { raw: `s3://${BUCKET}/raw/diabetic_data.csv`, prepared: `s3://${BUCKET}/prepared` };
  const monitoringUri = `s3://${BUCKET}/monitoring`;
  const credentials = { accessKeyId: services.AWS_ACCESS_KEY_ID!, secretAccessKey: services.AWS_SECRET_ACCESS_KEY! };
  const s3 = new S3Client({ region: services.AWS_REGION, endpoint: services.AWS_ENDPOINT_URL_S3, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
  const store: ObjectStore = createObjectStore({ env: services, credentials });
  await store.putFile(uris.raw, DATA_FILE, 'text/csv');
  say(`uploaded ${DATA_FILE} to ${uris.raw}`);

  const step = taskRunner(logFile);
  const client = mlflowClientFromEnv();
  const perBatch: object[] = [];
  const points: LoopPoint[] = [];
  const deploys: { after: number; version: string }[] = [];
  const regressionDetails: object[] = [];
  let triggered = 0;
  let rows: object = {};
  let initial: object = {};
  const summary = () => {
    const production = points.map((p) => p.production_f1);
    const baseline = points.map((p) => p.baseline_f1);
    const regressions = regressionDetails.filter((d) => (d as { regression?: boolean }).regression === true).length;
    const [meanProduction, meanBaseline] = [mean(production), mean(baseline)];
    return {
      benchmark: 'loop',
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim(),
      batches: points.length,
      triggered,
      deploys: deploys.length,
      production_f1: production,
      baseline_f1: baseline,
      regressions,
      regression_details: regressionDetails,
      mean_production_f1: meanProduction,
      mean_baseline_f1: meanBaseline,
      targets: { regressions_zero: regressions === 0, production_at_least_baseline: meanProduction !== null && meanBaseline !== null && meanProduction >= meanBaseline },
      per_batch: perBatch,
      initial,
      ...settings,
      rows,
      wall_s: round((performance.now() - started) / 1000),
      plot: null as string | null,
      machine: { cores: os.cpus().length, load_1m: round(os.loadavg()[0]!) },
    };
  };

  try {
    say('the first improvement run (origin split): its model is production and the baseline');
    const first = await improve(step, 'bench_loop__improvement_0', uris, { batches: [], drift_level: null, drift_report_uri: null });
    const baseline = await productionModel(client, MODEL_NAME);
    if (!baseline || first.result.deployed_version === null) throw new TaskFailed(`the first improvement run did not deploy (${first.result.decision}: ${first.result.summary}); there is no baseline`);
    initial = { version: baseline.version.version, ...first.result };
    const target = first.manifest.features.target;
    const [from, to] = heldBackRange(first.manifest.source.rows);
    const batchSize = Math.ceil((to - from) / BATCHES);
    rows = { raw: first.manifest.source.rows, initial: from, held_back: to - from, batch_size: batchSize };
    say(`baseline: version ${baseline.version.version} (${first.result.candidate.model_type}); ${to - from} held-back rows in ${BATCHES} batches of ${batchSize}`);

    let production = baseline;
    let pending: { after: number; model: ProductionModel; replaced: ProductionModel } | undefined;
    for (let k = 1; k <= BATCHES; k++) {
      const runId = `bench_loop__drift_${k}`;
      const at = (taskId: string) => ({ dagId: DRIFT_DAG, runId, taskId });
      const taken = await step(takeNextBatch, at('take_next_batch'), { raw_data_uri: uris.raw, arrivals_uri: null, batch_size: batchSize, monitoring_uri: monitoringUri });
      if (!taken) throw new TaskFailed(`take_next_batch skipped batch ${k}: the held-back rows ran out before ${BATCHES} batches (batch_size ${batchSize})`);
      const measured = await step(measureDrift, at('measure_drift'), { taken, monitoring_uri: monitoringUri, trigger_retraining: true });
      if (!measured) throw new TaskFailed(`measure_drift skipped batch ${k}; it has no skip path`);
      if (measured.production_version !== production.version.version) {
        throw new TaskFailed(`measure_drift scored version ${measured.production_version}, but the bench promoted version ${production.version.version} last`);
      }
      const batchRows = (await readBatchRows(store, taken.batch.uri)).rows;
      const baselineF1 = await f1On(baseline, batchRows, target);
      if (pending) {
        const [newF1, replacedF1] = [await f1On(pending.model, batchRows, target), await f1On(pending.replaced, batchRows, target)];
        // The same rows, model and threshold as measure_drift: a different F1 means the two measures disagree.
        if (Math.abs(newF1 - measured.batch_f1) > 1e-9) throw new Error(`F1 of version ${pending.model.version.version} on batch ${k}: the bench computes ${newF1}, measure_drift ${measured.batch_f1}`);
        regressionDetails.push({
          deployed_after_batch: pending.after,
          version: pending.model.version.version,
          replaced: pending.replaced.version.version,
          measured_on_batch: k,
          new_f1: round(newF1),
          replaced_f1: round(replacedF1),
          regression: newF1 < replacedF1,
        });
        pending = undefined;
      }
      const report = driftReportSchema.parse(JSON.parse((await store.get(measured.report_uri)).body.toString('utf8')));
      let retraining: RetrainingResult | null = null;
      if (measured.action === 'retrain') {
        triggered++;
        say(`batch ${k}: ${measured.level} (${measured.score_source} ${measured.score.toFixed(3)}) → retrain`);
        ({ result: retraining } = await improve(step, `bench_loop__improvement_${k}`, uris, {
          batches: measured.training_batches,
          drift_level: measured.level,
          drift_report_uri: measured.report_uri,
        }));
        if (retraining.deployed_version !== null) {
          const promoted = await productionModel(client, MODEL_NAME);
          if (!promoted || promoted.version.version !== retraining.deployed_version) throw new Error(`after promoting version ${retraining.deployed_version} the registry's production alias points at ${promoted?.version.version ?? 'nothing'}`);
          pending = { after: k, model: promoted, replaced: production };
          deploys.push({ after: k, version: promoted.version.version });
          production = promoted;
        }
      }
      perBatch.push({
        index: k,
        rows: measured.batch_rows,
        level: measured.level,
        score: round(measured.score),
        score_source: measured.score_source,
        prediction_psi: round(report.prediction.psi),
        action: measured.action,
        production_version: measured.production_version,
        production_f1: round(measured.batch_f1),
        baseline_f1: round(baselineF1),
        retraining,
      });
      points.push({ index: k, production_f1: round(measured.batch_f1), baseline_f1: round(baselineF1) });
      say(`batch ${k}: ${measured.level}, action ${measured.action}; F1 production v${measured.production_version} ${measured.batch_f1.toFixed(4)}, baseline ${baselineF1.toFixed(4)}${retraining ? `; retraining ${retraining.decision}` : ''}`);
    }
    if (pending) regressionDetails.push({ deployed_after_batch: pending.after, version: pending.model.version.version, replaced: pending.replaced.version.version, measured_on_batch: null, regression: null, note: 'deployed after the last batch: no next batch to measure it on' });
  } catch (error) {
    // What ran so far is still a result: printed with the error, exit 1.
    if (!(error instanceof TaskFailed)) process.stderr.write(`bench:loop: ${(error as Error).stack ?? String(error)}\n`);
    const message = (error as Error).message ?? String(error);
    return { result: { ...summary(), error: interrupted ? `interrupted: ${message}` : message }, succeeded: false };
  }
  const result = summary();
  if (points.length) {
    mkdirSync(path.dirname(path.resolve(args.plot)), { recursive: true });
    writeFileSync(args.plot, loopSvg(points, deploys));
    result.plot = path.resolve(args.plot);
  }
  return { result, succeeded: true };
}

main().then(
  ({ result, succeeded }) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return exitAfterCleanup(succeeded ? 0 : 1);
  },
  (error: unknown) => {
    process.stderr.write(`bench:loop: ${(error as Error).stack ?? String(error)}\n`);
    return exitAfterCleanup(1);
  },
);
