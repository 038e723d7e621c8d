/** The `health-predict` command. Handlers do the I/O; everything they call is testable without them. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { dataCommands } from '../data/cli.ts';
import { stackCommands } from '../stack/cli.ts';
import { clusterCommands } from '../cluster/cli.ts';
import { platformCommands } from '../platform/cli.ts';
import { DagError } from '../dsl/errors.ts';
import { bundleApi } from '../api/bundle.ts';
import { API_BUNDLE_DIR } from '../images/context.ts';
import { bundleTasks } from './bundle.ts';
import { DagBuildError, findStale, planBuild, writeBuild } from './commands/dag-build.ts';
import { mermaid } from './commands/dag-graph.ts';
import { resolveHistoryOptions, runHistory } from './commands/history.ts';
import { runTaskScript, TaskRunError } from './commands/task-run.ts';
import { DagSourceError, loadDags } from './load-dags.ts';
import { CliUsageError, resolveBuildOptions, resolveTaskRunOptions, withDockerSocketGroup } from './options.ts';
import { DAG_SOURCE_DIRS, PROJECT_ROOT, TASK_BUNDLE_DIR, listFiles, taskScripts } from './project.ts';

const root = PROJECT_ROOT;
const rel = (file: string) => path.relative(process.cwd(), file) || '.';

async function findDag(dagId: string) {
  const dags = await loadDags(listFiles(root, DAG_SOURCE_DIRS, '.dag.ts'));
  const found = dags.find((loaded) => loaded.dag.dagId === dagId);
  if (!found) throw new CliUsageError(`No DAG '${dagId}'. Known DAGs: ${dags.map((d) => d.dag.dagId).sort().join(', ')}.`);
  return found.dag;
}

const cli = platformCommands(clusterCommands(stackCommands(dataCommands(yargs(hideBin(process.argv)).scriptName('health-predict').strict().demandCommand(1)))))
  .command('dag', 'Compile and inspect DAGs', (dag) =>
    dag
      .command(
        'build [sources..]',
        'Compile every DAG source (or only the given *.dag.ts files) into generated/dags (--check: fail if that is stale)',
        (y) =>
          y
            .positional('sources', { type: 'string', array: true, describe: 'DAG source files; default: every *.dag.ts of the project' })
            .option('verbose', { type: 'boolean', describe: 'Also print the stack trace behind a DAG file that failed to load' })
            .option('check', { type: 'boolean', describe: 'Do not write; exit 1 and show a diff when generated files are stale' })
            .option('profile', { type: 'string', describe: 'Runner profile for Node tasks without an explicit runner', default: 'local' })
            .option('out', { type: 'string', describe: 'Output directory (default generated/dags)' })
            .option('tasks-dir', { type: 'string', describe: 'Fixed bundle directory baked into the DAGs (e.g. inside an Airflow image)' })
            .option('task-image', { type: 'string', describe: "Kubernetes profiles: the task image reference (digest or tag) instead of the DAG's own" })
            .option('namespace', { type: 'string', describe: "Kubernetes profiles: the task pods' namespace instead of the DAG's own" })
            .option('host-network', { type: 'boolean', describe: "Kubernetes profiles: run the pods on the node's network (the local cluster, whose pods reach the platform on loopback)" })
            .option('docker-socket', { type: 'string', describe: "Kubernetes profiles: this machine's Docker daemon socket, mounted into the pods of tasks that need Docker (the local cluster's node is this machine)" }),
        async (argv) => {
          const options = withDockerSocketGroup(resolveBuildOptions(argv, root));
          const plan = await planBuild({ root, ...options });
          if (options.check) {
            const stale = findStale(plan, options.outDir);
            for (const file of stale) {
              console.error(`stale: ${rel(path.join(options.outDir, file.name))} (${file.reason})`);
              if (file.diff) console.error(file.diff);
            }
            if (stale.length) {
              console.error(`${stale.length} generated file(s) are stale. Run \`health-predict dag build\` and commit the result.`);
              process.exitCode = 1;
            } else console.log(`${plan.files.size} generated DAG file(s) are current.`);
            return;
          }
          const changed = writeBuild(plan, options.outDir);
          console.log(`${plan.files.size} DAG(s) compiled into ${rel(options.outDir)}; ${changed.length} changed, ${plan.orphans.length} removed.`);
        },
      )
      .command(
        'inspect <dagId>',
        'Print the DAG\'s IR as JSON (what the compiler checks and emits)',
        (y) => y.positional('dagId', { type: 'string', demandOption: true }),
        async (argv) => {
          process.stdout.write(`${JSON.stringify((await findDag(argv.dagId)).spec, null, 2)}\n`);
        },
      )
      .command(
        'graph <dagId>',
        'Print a DAG as a Mermaid flowchart',
        (y) => y.positional('dagId', { type: 'string', demandOption: true }).option('out', { type: 'string', describe: 'Write to this file' }),
        async (argv) => {
          const text = mermaid((await findDag(argv.dagId)).spec);
          if (argv.out) writeFileSync(argv.out, text);
          else process.stdout.write(text);
        },
      )
      .demandCommand(1),
  )
  .command('task', 'Run task scripts outside Airflow', (task) =>
    task
      .command(
        'run <dagId> <taskId>',
        'Bundle and run one Node task with the given input',
        (y) =>
          y
            .positional('dagId', { type: 'string', demandOption: true })
            .positional('taskId', { type: 'string', demandOption: true })
            .option('input', { type: 'string', describe: 'Input JSON, or @file.json' })
            .option('try-number', { type: 'number', describe: 'Pretend to be this Airflow try' }),
        async (argv) => {
          const options = resolveTaskRunOptions(argv, process.cwd());
          process.exitCode = await runTaskScript({ root, dag: await findDag(options.dagId), taskId: options.taskId, input: options.input, tryNumber: options.tryNumber });
        },
      )
      .demandCommand(1),
  )
  .command(
    'bundle',
    'Bundle every task script into dist/tasks, and the prediction service into dist/api',
    () => {},
    async () => {
      const started = performance.now();
      const results = await bundleTasks(taskScripts(root), path.join(root, TASK_BUNDLE_DIR));
      const api = await bundleApi(path.join(root, API_BUNDLE_DIR));
      console.log(
        `${results.length} task bundle(s) in ${rel(path.join(root, TASK_BUNDLE_DIR))}, the API in ${rel(api.file)} (${Math.round(performance.now() - started)} ms).`,
      );
    },
  )
  .command(
    'history',
    'Print the model\'s audit trail from the registry and MLflow: production periods, promotions, refreshes, rollbacks, SKIP decisions, drift triggers',
    (y) =>
      y
        .option('model', { type: 'string', describe: 'Registered model (default MODEL_NAME, else health-predict-readmission)' })
        .option('experiment', { type: 'string', describe: 'Experiment of the decision runs (default MLFLOW_EXPERIMENT_NAME, else health-predict)' })
        .option('since', { type: 'string', describe: 'Only what happened from this ISO date or time on' })
        .option('limit', { type: 'number', describe: 'Only the newest N entries' })
        .option('json', { type: 'boolean', describe: 'One JSON array of typed entries instead of the table' }),
    async (argv) => {
      process.exitCode = await runHistory(resolveHistoryOptions(argv, process.env), {
        env: process.env,
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    },
  )
  .fail((message, error) => {
    throw error ?? new CliUsageError(message);
  });

/** The original errors behind a build's one-line diagnostics (shown with --verbose). */
function causes(error: Error): unknown[] {
  const problems = error instanceof DagBuildError ? error.problems : [error];
  return problems.map((problem) => problem.cause ?? problem);
}

try {
  await cli.parseAsync();
} catch (error) {
  const known = error instanceof DagError || error instanceof CliUsageError || error instanceof DagSourceError || error instanceof TaskRunError;
  console.error(known ? (error as Error).message : error);
  if (known && process.argv.includes('--verbose')) for (const cause of causes(error as Error)) console.error(cause);
  if (error instanceof CliUsageError) console.error('\nRun with --help for usage.');
  process.exitCode = 2;
}
