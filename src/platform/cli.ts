/**
 * `health-predict airflow up|down|status|logs`: the local Airflow platform (docker-compose.airflow.yml).
 * `make up` / `make down` call these. Progress goes to stderr; results to stdout (`--json` for scripts).
 */
import type { Argv } from 'yargs';
import { formatTable, printResult, reportingErrors } from '../host/command-output.ts';
import { HostError } from '../host/errors.ts';
import { runCompose } from './compose.ts';
import { PlatformError } from './errors.ts';
import { type PlatformInfo, platformBuild, platformContext, platformDown, platformStatus, platformUp } from './platform.ts';

const isPlatformError = (error: unknown): error is Error => error instanceof PlatformError || error instanceof HostError;

function upText(info: PlatformInfo): string {
  const deploys = info.deploys.kubernetes
    ? `Deploys go to the local Kubernetes cluster (namespace ${info.deploys.namespace}).`
    : `Deploys stop after the image push: ${info.deploys.reason}. Trigger the pipeline with deploy_target "ecr" meanwhile.`;
  return [
    `Airflow is up in ${Math.round(info.ms / 1000)} s: ${info.url}`,
    `Log in as ${info.username} with the password ${info.password} (_AIRFLOW_WWW_USER_PASSWORD in .env).`,
    'The DAGs start unpaused; trigger health_predict_continuous_improvement from its page (Trigger) or the REST API.',
    deploys,
    `Raw data for the default raw_data_uri: ${info.rawData.endsWith('no-raw-data') ? 'synthetic rows (set HP_RAW_DATA_DIR to a directory with diabetic_data.csv for the UCI file)' : info.rawData}.`,
    'Stop it with `make down` (`make down VOLUMES=1` also deletes its data).',
  ].join('\n');
}

export function platformCommands<T>(yargs: Argv<T>): Argv<T> {
  return yargs.command('airflow', 'The local Airflow platform in Docker Compose (docker-compose.airflow.yml)', (airflow) =>
    airflow
      .command(
        'up',
        'Write the secrets (first start), build the images, start every service and wait until all are healthy',
        (y) =>
          y
            .option('json', { type: 'boolean', describe: 'Print JSON instead of text' })
            .option('build', { type: 'boolean', default: true, describe: 'Build the images first (--no-build to use what is there)' })
            .option('timeout', { type: 'number', default: 900, describe: 'Seconds to wait for the services to become healthy' }),
        reportingErrors(isPlatformError, async (argv) => {
          const info = await platformUp({ build: argv.build, timeoutMs: argv.timeout * 1000 });
          await printResult(argv.json, info, upText);
        }),
      )
      .command(
        'build',
        'Build the images `up` would build, and nothing else (ahead of `up`, e.g. while other work runs)',
        (y) =>
          y
            .option('secrets-file', { type: 'string', describe: 'Secrets file compose reads (default .env; written when missing)' })
            .option('stack-dir', { type: 'string', describe: 'Stack state dir whose dockerd to start when no daemon answers (stopped again afterwards)' })
            .option('json', { type: 'boolean' }),
        reportingErrors(isPlatformError, async (argv) => {
          const result = await platformBuild({ envFile: argv['secrets-file'], stackDir: argv['stack-dir'] });
          await printResult(argv.json, result, (r) => `images built in ${Math.round(r.ms / 1000)} s`);
        }),
      )
      .command(
        'down',
        'Stop and remove the containers (--volumes: and their data); stop the dockerd `up` started',
        (y) => y.option('volumes', { type: 'boolean', alias: 'v', describe: 'Also delete the named volumes (database, logs, registry, artifacts)' }).option('json', { type: 'boolean' }),
        reportingErrors(isPlatformError, async (argv) => {
          const result = await platformDown({ volumes: argv.volumes });
          await printResult(argv.json, result, (r) => `stopped${r.removedVolumes ? ', volumes deleted' : ''}${r.stoppedDocker ? ', dockerd stopped' : ''}`);
        }),
      )
      .command(
        'status',
        'Each service: its container state and whether it is ready',
        (y) => y.option('json', { type: 'boolean' }),
        reportingErrors(isPlatformError, async (argv) => {
          const status = await platformStatus();
          await printResult(argv.json, status, (s) =>
            s.services.length ? formatTable([['service', 'state', 'ready'], ...s.services.map((row) => [row.service, row.state, row.ready ? 'yes' : 'no'])]) : 'the platform is not running (make up)',
          );
        }),
      )
      .command(
        'logs [services..]',
        'Show the services\' logs (docker compose logs)',
        (y) => y.positional('services', { type: 'string', array: true }).option('tail', { type: 'string', default: '100' }),
        reportingErrors(isPlatformError, async (argv) => {
          const context = await platformContext();
          const run = await runCompose(context.target, ['logs', '--no-color', '--tail', argv.tail, ...(argv.services ?? [])], (line) => console.log(line));
          process.exitCode = run.code;
        }),
      )
      .demandCommand(1),
  ) as Argv<T>;
}
