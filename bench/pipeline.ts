/**
 * The whole pipeline once, in real Airflow, with production settings: `airflow dags test
 * health_predict_continuous_improvement` on the real UCI file, all three model types, the HPO
 * budget of src/pipeline/contract/environment.ts (RAY_NUM_SAMPLES 2, RAY_MAX_EPOCHS 10,
 * RAY_GRACE_PERIOD 5) and a forced deploy through Kubernetes with the 5-minute post-deployment
 * health window (HEALTH_CHECK_WINDOW_S 300 of src/k8s/config.ts). Prints one JSON object:
 *   tasks           {task_id: seconds} of the tasks that ran, from Airflow's task_instance table
 *   states          {task_id: state}
 *   total_s         the DAG run's end − start (Airflow's own dag_run row)
 *   health_window_s the window the health check ran with (300 unless --health-window-s)
 *   rows, model_types, hpo, decision, target_s (600), within_target, machine (cores, load)
 *
 *   npm run bench:pipeline [-- --health-window-s 60 --timeout-s 3600]
 *
 * Services: a private stack (MLflow, moto, dockerd, registry) in a temporary directory, and the
 * local cluster that is already running (`health-predict cluster up`; never started or stopped
 * here), in a namespace of its own with the registry's pull secret. Airflow: .venv/airflow with a
 * temporary AIRFLOW_HOME on SQLite, generated/dags, and the task scripts of the working tree
 * bundled into a temporary dist/ folder of its own (HEALTH_PREDICT_TASKS_DIR). Everything it starts is on the cleanup stack and undone
 * however it ends. Skips with {"skipped": reason} when the UCI file is absent; exits 1 (after the
 * JSON, with the log's tail on stderr) when the DAG run does not succeed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { bundleApi } from '../src/api/bundle.ts';
import { bundleTasks } from '../src/cli/bundle.ts';
import { PROJECT_ROOT, taskScripts } from '../src/cli/project.ts';
import { clusterStatus } from '../src/cluster/cluster.ts';
import { defaultStateDir as clusterStateDir } from '../src/cluster/layout.ts';
import { TASKS_DIR_ENV } from '../src/compiler/index.ts';
import { createObjectStore } from '../src/data/object-store.ts';
import { exitAfterCleanup, onCleanup, stopOnCleanup, tempDir } from '../src/host/cleanup.ts';
import { API_BUNDLE_DIR } from '../src/images/context.ts';
import { connectDocker } from '../src/images/docker.ts';
import { applyPullSecret, connectCluster, k8sConfigFromEnv } from '../src/k8s/index.ts';
import { pipelineEnvSchema } from '../src/pipeline/contract/environment.ts';
import { GATE_SETTINGS } from '../src/pipeline/contract/gates.ts';
import { dockerUnavailableReason, SERVICE_NAMES, stackDown, stackEnv, stackUp } from '../src/stack/index.ts';
import { deleteNamespace } from '../test/unit/k8s/k8s-fixture.ts';

const args = z
  .object({
    'health-window-s': z.coerce.number().int().positive().default(300),
    'timeout-s': z.coerce.number().int().positive().default(3600),
  })
  .parse(Object.fromEntries(process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2).split('=')[0], arg.includes('=') ? arg.split('=')[1] : all[i + 1]]] : []))));

const DAG_ID = 'health_predict_continuous_improvement';
const TARGET_S = 600;
const BUCKET = 'hp-bench-pipeline';
const DATA_FILE = process.env.HP_REAL_DATA ?? path.resolve(PROJECT_ROOT, '../shared/data/diabetes-130/diabetic_data.csv');
const AIRFLOW_BIN = path.join(PROJECT_ROOT, '.venv/airflow/bin');
const PULL_SECRET = 'bench-registry';
/** What would point Airflow at another home or database. */
const FOREIGN_AIRFLOW_ENV = ['AIRFLOW_CONFIG', 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', 'AIRFLOW__CORE__SQL_ALCHEMY_CONN'];
/** Settings under test: inherited values would silently replace the production defaults. */
const GATE_ENV = new Set<string>(Object.values(GATE_SETTINGS).map((setting) => setting.env));
const overridesDefault = (name: string) => /^(RAY_|TRAINING_|HEALTH_CHECK_|K8S_|API_TEST_)/.test(name) || GATE_ENV.has(name);

const say = (line: string) => process.stderr.write(`[bench:pipeline] ${line}\n`);

/** Runs a command in its own process group, output to `logFile`; stopped with its children however this process ends. */
async function run(command: string, argv: string[], options: { env: NodeJS.ProcessEnv; logFile: string; timeoutMs: number }): Promise<number> {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, argv, { cwd: PROJECT_ROOT, env: options.env, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  const guard = stopOnCleanup(child, { name: `${path.basename(command)} ${argv.slice(0, 2).join(' ')}`, graceMs: 15_000 });
  const timer = setTimeout(() => {
    say(`${path.basename(command)} ${argv[0]} ran past ${options.timeoutMs / 1000} s; stopping it`);
    void guard.dispose();
  }, options.timeoutMs);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  } finally {
    clearTimeout(timer);
    guard.release();
  }
}

/** The log's last lines, each cut to a readable length (Airflow's scheduler lines list every task instance). */
const tail = (file: string, lines: number) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)} …` : line))
    .join('\n');

/**
 * Set on Ctrl-C / SIGTERM, which the cleanup stack answers by stopping the run: what it left
 * half-done is no result. Installed once something is on the cleanup stack, whose own handlers
 * then make the process exit.
 */
let interrupted = false;
const noteInterrupts = () => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => (interrupted = true)));

/** What Airflow's metadata says about the one DAG run in a fresh database (read with the venv's sqlite3). */
const RUN_QUERY = `
import json, sqlite3, sys
from datetime import datetime
db, dag_id, wanted = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
con = sqlite3.connect(db)
run = con.execute("select run_id, state, start_date, end_date from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)).fetchone()
if run is None:
    print(json.dumps(None)); sys.exit(0)
run_id, state, start, end = run
ts = lambda v: datetime.fromisoformat(v) if v else None
def decode(value):
    while isinstance(value, (str, bytes)):
        try: value = json.loads(value)
        except ValueError: break
    return value
tasks = [
    {"task_id": t, "state": s, "try_number": n, "duration": d,
     "seconds": d if d is not None else ((ts(e) - ts(b)).total_seconds() if b and e else None)}
    for t, s, n, d, b, e in con.execute(
        "select task_id, state, try_number, duration, start_date, end_date from task_instance where dag_id = ? and run_id = ? and map_index = -1",
        (dag_id, run_id))
]
xcom = {t: decode(v) for t, v in con.execute(
    "select task_id, value from xcom where dag_id = ? and run_id = ? and key = 'return_value' and map_index = -1", (dag_id, run_id))
    if t in wanted}
print(json.dumps({"run_id": run_id, "state": state, "start": start, "end": end,
                  "total_s": (ts(end) - ts(start)).total_seconds() if start and end else None, "tasks": tasks, "xcom": xcom}))
`;

const runRecord = z.object({
  run_id: z.string(),
  state: z.string().nullable(),
  total_s: z.number().nullable(),
  tasks: z.array(z.object({ task_id: z.string(), state: z.string().nullable(), try_number: z.number().int(), seconds: z.number().nullable() })),
  xcom: z.object({
    prepare_training_data: z.looseObject({ source: z.looseObject({ rows: z.number().int() }) }).optional(),
    run_training_and_hpo: z.looseObject({ models: z.array(z.looseObject({ model_type: z.string() })) }).optional(),
    compare_against_production: z.looseObject({ decision: z.string() }).optional(),
  }),
});

async function readRun(home: string): Promise<z.infer<typeof runRecord> | undefined> {
  const child = spawn(path.join(AIRFLOW_BIN, 'python'), ['-c', RUN_QUERY, path.join(home, 'airflow.db'), DAG_ID, 'prepare_training_data,run_training_and_hpo,compare_against_production'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (exitCode) => resolve(exitCode ?? 1)));
  if (code !== 0) throw new Error(`reading the Airflow metadata DB in ${home} failed (exit ${code})`);
  const json: unknown = JSON.parse(stdout);
  return json === null ? undefined : runRecord.parse(json);
}

const seconds = (value: number) => Number(value.toFixed(2));

async function main(): Promise<{ result: object; succeeded: boolean }> {
  if (!existsSync(DATA_FILE)) return { result: { skipped: `the UCI file is absent (${DATA_FILE}); set HP_REAL_DATA` }, succeeded: true };
  if (!existsSync(path.join(AIRFLOW_BIN, 'airflow'))) throw new Error(`Airflow is not installed in ${AIRFLOW_BIN}; run \`make setup\`.`);
  const cluster0 = await clusterStatus({ stateDir: clusterStateDir() });
  if (!cluster0.nodeReady || !cluster0.kubeconfig) throw new Error('the local cluster is not running (or its node is not Ready); run `health-predict cluster up` first.');
  // build_api_image copies the API bundle into the image: make it when a fresh checkout has none yet.
  if (!existsSync(path.join(PROJECT_ROOT, API_BUNDLE_DIR, 'server.mjs'))) {
    say(`bundling the prediction API into ${API_BUNDLE_DIR}`);
    await bundleApi(path.join(PROJECT_ROOT, API_BUNDLE_DIR));
  }

  const work = tempDir('hp-bench-pipeline-').path;
  noteInterrupts();
  const stateDir = path.join(work, 'stack');
  const dockerProblem = dockerUnavailableReason(stateDir);
  if (dockerProblem) throw new Error(`dockerd cannot run here: ${dockerProblem}`);
  const home = path.join(work, 'airflow');
  const logFile = path.join(work, 'airflow.log');
  // The task scripts as they are now, bundled where a running test lane does not read them. Two
  // levels under the checkout, like dist/tasks: a bundle finds the repository root at ../.. of itself.
  mkdirSync(path.join(PROJECT_ROOT, 'dist'), { recursive: true });
  const tasksDir = tempDir('hp-bench-pipeline-tasks-', path.join(PROJECT_ROOT, 'dist')).path;
  await bundleTasks(taskScripts(PROJECT_ROOT), tasksDir);
  const airflowEnv: NodeJS.ProcessEnv = { ...process.env, [TASKS_DIR_ENV]: tasksDir, AIRFLOW_HOME: home, AIRFLOW__CORE__DAGS_FOLDER: path.join(PROJECT_ROOT, 'generated/dags'), AIRFLOW__CORE__LOAD_EXAMPLES: 'False', PYTHONUNBUFFERED: '1' };
  for (const name of FOREIGN_AIRFLOW_ENV) delete airflowEnv[name];
  for (const name of Object.keys(airflowEnv)) if (overridesDefault(name)) delete airflowEnv[name];

  // `airflow db migrate` (~10–20 s) overlaps the stack's start.
  say(`airflow db migrate and stack up --services all (state ${stateDir})`);
  const migrated = run(path.join(AIRFLOW_BIN, 'airflow'), ['db', 'migrate'], { env: airflowEnv, logFile, timeoutMs: 600_000 });
  const info = await stackUp({ stateDir, services: [...SERVICE_NAMES], ports: { mlflow: 0, moto: 0 } });
  onCleanup({ name: `the private stack in ${stateDir}`, timeoutMs: 180_000, dispose: () => stackDown({ stateDir, services: [...SERVICE_NAMES] }) });
  const services = stackEnv(info);
  const docker = connectDocker(info.dockerHost);
  const imagesBefore = new Set((await docker.listImages()).flatMap((image) => image.RepoTags ?? []));
  onCleanup({
    name: "the run's API images",
    timeoutMs: 120_000,
    // dockerd's vfs store keeps each image as a whole copy of its file system: remove what this run built.
    dispose: async () => {
      const built = (await docker.listImages()).flatMap((image) => image.RepoTags ?? []).filter((tag) => !imagesBefore.has(tag) && !tag.startsWith('<none>'));
      for (const tag of built) {
        await docker.getImage(tag).remove({ force: true }).then(
          () => say(`removed the image ${tag}`),
          (error: Error) => say(`could not remove ${tag}: ${error.message}`),
        );
      }
    },
  });

  const rawUri = `s3://${BUCKET}/raw/diabetic_data.csv`;
  const credentials = { accessKeyId: services.AWS_ACCESS_KEY_ID!, secretAccessKey: services.AWS_SECRET_ACCESS_KEY! };
  const s3 = new S3Client({ region: services.AWS_REGION, endpoint: services.AWS_ENDPOINT_URL_S3, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
  await createObjectStore({ env: services, credentials }).putFile(rawUri, DATA_FILE, 'text/csv');
  say(`uploaded ${DATA_FILE} to ${rawUri}`);

  const namespace = `hp-bench-pipeline-${Date.now().toString(36)}`;
  process.env.KUBECONFIG = cluster0.kubeconfig;
  const cluster = connectCluster();
  onCleanup({ name: 'the cluster connection', dispose: () => cluster.close() });
  onCleanup({ name: `the namespace ${namespace}`, dispose: () => deleteNamespace(cluster, namespace) });
  const quiet = { info: () => {}, warn: (_: object, msg: string) => say(`warning: ${msg}`) };
  await applyPullSecret(cluster, {
    namespace,
    name: PULL_SECRET,
    registry: { address: services.HP_LOCAL_REGISTRY!, username: services.HP_LOCAL_REGISTRY_USERNAME!, password: services.HP_LOCAL_REGISTRY_PASSWORD! },
    log: quiet,
  });

  const runEnv: NodeJS.ProcessEnv = {
    ...airflowEnv,
    ...services,
    KUBECONFIG: cluster0.kubeconfig,
    K8S_NAMESPACE: namespace,
    K8S_IMAGE_PULL_SECRET: PULL_SECRET,
    HEALTH_CHECK_WINDOW_S: String(args['health-window-s']),
  };
  // What the tasks will read, through the same schemas they use.
  const pipelineEnv = pipelineEnvSchema.parse(runEnv);
  const healthCheck = k8sConfigFromEnv(runEnv).healthCheck;

  const migrateCode = await migrated;
  if (migrateCode !== 0) throw new Error(`airflow db migrate exited ${migrateCode}:\n${tail(logFile, 40)}`);
  const conf = {
    raw_data_uri: rawUri,
    prepared_data_uri: `s3://${BUCKET}/prepared`,
    force_deployment: true,
    deploy_target: 'kubernetes',
    notification_channels: ['airflow'],
  };
  const loadBefore = os.loadavg()[0]!;
  say(`airflow dags test ${DAG_ID} (namespace ${namespace}, health window ${args['health-window-s']} s, log ${logFile})`);
  const started = performance.now();
  const code = await run(path.join(AIRFLOW_BIN, 'airflow'), ['dags', 'test', DAG_ID, '--conf', JSON.stringify(conf)], { env: runEnv, logFile, timeoutMs: args['timeout-s'] * 1000 });
  const wallS = (performance.now() - started) / 1000;
  const loadAfter = os.loadavg()[0]!;
  if (interrupted) throw new Error('interrupted: the DAG run was stopped before it ended');

  const record = await readRun(home);
  if (!record) throw new Error(`airflow dags test exited ${code} without a DAG run:\n${tail(logFile, 80)}`);
  const succeeded = code === 0 && record.state === 'success';
  if (!succeeded) say(`the DAG run ended ${record.state} (exit ${code}); the log's last lines:\n${tail(logFile, 80)}`);
  const ran = record.tasks.filter((task) => task.seconds !== null && task.state !== 'skipped').sort((a, b) => a.task_id.localeCompare(b.task_id));
  const totalS = record.total_s ?? wallS;
  const xcom = record.xcom;
  return {
    succeeded,
    result: {
      benchmark: 'pipeline',
      dag_id: DAG_ID,
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim(),
      run_state: record.state,
      tasks: Object.fromEntries(ran.map((task) => [task.task_id, seconds(task.seconds!)])),
      states: Object.fromEntries(record.tasks.map((task) => [task.task_id, task.state])),
      total_s: seconds(totalS),
      dags_test_wall_s: seconds(wallS),
      health_window_s: healthCheck.windowMs / 1000,
      health_interval_s: healthCheck.intervalMs / 1000,
      rows: xcom.prepare_training_data?.source.rows ?? null,
      model_types: xcom.run_training_and_hpo?.models.map((model) => model.model_type) ?? pipelineEnv.TRAINING_MODEL_TYPES,
      hpo: { num_samples: pipelineEnv.RAY_NUM_SAMPLES, max_epochs: pipelineEnv.RAY_MAX_EPOCHS, grace_period: pipelineEnv.RAY_GRACE_PERIOD },
      decision: xcom.compare_against_production?.decision ?? null,
      target_s: TARGET_S,
      within_target: succeeded && totalS <= TARGET_S,
      machine: { cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), load_1m_before: seconds(loadBefore), load_1m_after: seconds(loadAfter) },
    },
  };
}

main().then(
  ({ result, succeeded }) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return exitAfterCleanup(succeeded ? 0 : 1);
  },
  (error: unknown) => {
    process.stderr.write(`bench:pipeline: ${(error as Error).stack ?? String(error)}\n`);
    return exitAfterCleanup(1);
  },
);
