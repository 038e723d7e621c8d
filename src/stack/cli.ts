/**
 * `health-predict stack up|down|status|env|base-image`. Register in src/cli/main.ts with
 * `stackCommands(cli)` before `parseAsync()`.
 *
 *   health-predict stack up [--services mlflow,moto,docker,registry | all] [--json]
 *   health-predict stack status [--json]
 *   eval "$(health-predict stack env)"
 *   health-predict stack base-image [--rebuild]
 *   health-predict stack down
 *
 * `up` starts MLflow and moto by default; dockerd and the registry (root only) when named.
 * When it starts dockerd it also makes sure the local base image exists (seconds once cached).
 * Stack errors print their message (which names the service's log file) and set exit code 1.
 */
import type { Argv } from 'yargs';
import { exportLines, formatTable, printResult, relativeToCwd as rel, reportingErrors, stoppedText } from '../host/command-output.ts';
import { HostError } from '../host/errors.ts';
import { ensureBaseImage } from '../images/base-image.ts';
import { connectDocker } from '../images/docker.ts';
import { stackEnv } from './env.ts';
import { StackError } from './errors.ts';
import { type StackEvent, type StackOptions, type StackStatus, stackDown, stackStatus, stackUp } from './stack.ts';
import { CORE_SERVICES, SERVICE_NAMES, type ServiceName } from './state.ts';

interface CommonArgs {
  'state-dir'?: string;
  services?: string;
  json?: boolean;
}

function withCommon<T>(y: Argv<T>) {
  return y
    .option('state-dir', { type: 'string', describe: 'State directory (default: $HP_STACK_DIR or <repo>/.stack)' })
    .option('services', { type: 'string', describe: `Comma-separated subset of: ${SERVICE_NAMES.join(', ')}, or all (default: ${CORE_SERVICES.join(', ')} for up; all for the rest)` })
    .option('json', { type: 'boolean', describe: 'Print JSON instead of a table' });
}

function parseServices(value: string | undefined): ServiceName[] | undefined {
  if (!value) return undefined;
  if (value.trim() === 'all') return [...SERVICE_NAMES];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new StackError(`Unknown service(s) ${unknown.join(', ')}; choose from ${SERVICE_NAMES.join(', ')}.`);
  return names as ServiceName[];
}

function baseOptions(argv: CommonArgs): StackOptions {
  return { stateDir: argv['state-dir'], services: parseServices(argv.services) };
}

/** A fixed-width table of the stack's services. */
export function formatStatus(status: { stateDir: string; services: Partial<StackStatus['services']> }): string {
  const rows = [['service', 'running', 'healthy', 'pid', 'url', 'log']];
  for (const [name, s] of Object.entries(status.services)) {
    if (!s) continue;
    rows.push([name, s.running ? 'yes' : 'no', s.healthy ? 'yes' : 'no', s.pid ? String(s.pid) : '-', s.url ?? '-', rel(s.log)]);
  }
  return formatTable(rows);
}

/** Progress goes to stderr, so `--json` output on stdout stays machine-readable. */
function progress() {
  return (event: StackEvent) => {
    const line =
      event.type === 'note' ? `${event.service}: ${event.message}`
      : event.type === 'starting' ? `starting ${event.service} (pid ${event.pid}) on ${event.url}; log ${rel(event.log)}`
      : event.type === 'replacing' ? `replacing ${event.service} (pid ${event.pid}): ${event.reason}`
      : `${event.service} ${event.type === 'reuse' ? 'already running' : event.type} (pid ${event.pid}) on ${event.url}`;
    console.error(line);
  };
}

/** Progress on stderr; failures become StackErrors (printed, exit 1). */
async function baseImage(dockerHost: string, rebuild: boolean) {
  const log = { info: (_: object, msg: string) => console.error(msg), warn: (_: object, msg: string) => console.error(`warning: ${msg}`) };
  try {
    const result = await ensureBaseImage({ docker: connectDocker(dockerHost), rebuild, log });
    if (result.source === 'present') console.error(`base image ${result.tag} already present`);
    return result;
  } catch (error) {
    throw new StackError(`The base image could not be made: ${(error as Error).message}`, { cause: error });
  }
}

/** HostError: the stack's own failures (StackError) and the state-dir lock. */
const isStackError = (error: unknown): error is HostError => error instanceof HostError;

export function stackCommands<T>(yargs: Argv<T>): Argv<T> {
  return yargs.command('stack', 'Start, stop and inspect the local services (MLflow, moto S3/ECR)', (stack) =>
    stack
      .command(
        'up',
        'Start the missing services and wait until they are healthy; reuse running ones',
        (y) =>
          withCommon(y)
            .option('mlflow-port', { type: 'number', describe: 'Preferred MLflow port (default 5000; 0 = any free port)' })
            .option('moto-port', { type: 'number', describe: 'Preferred moto port (default 5001; 0 = any free port)' })
            .option('registry-port', { type: 'number', describe: 'Preferred registry port (default 5002; 0 = any free port)' })
            .option('base-image', { type: 'boolean', default: true, describe: 'With docker: make sure the local base image exists (--no-base-image to skip)' })
            .option('timeout', { type: 'number', describe: 'Seconds to wait for each service' }),
        reportingErrors(isStackError, async (argv) => {
          const ports: StackOptions['ports'] = {};
          if (argv['mlflow-port'] !== undefined) ports.mlflow = argv['mlflow-port'];
          if (argv['moto-port'] !== undefined) ports.moto = argv['moto-port'];
          if (argv['registry-port'] !== undefined) ports.registry = argv['registry-port'];
          const info = await stackUp({
            ...baseOptions(argv),
            ports,
            timeoutMs: argv.timeout === undefined ? undefined : argv.timeout * 1000,
            onEvent: progress(),
          });
          if (info.dockerHost && argv['base-image']) await baseImage(info.dockerHost, false);
          await printResult(argv.json, info, async () => formatStatus(await stackStatus(baseOptions(argv))));
        }),
      )
      .command(
        'down',
        'Stop the services this state directory started',
        (y) => withCommon(y),
        reportingErrors(isStackError, async (argv) => printResult(argv.json, { stopped: await stackDown({ ...baseOptions(argv), onEvent: progress() }) }, stoppedText)),
      )
      .command(
        'status',
        'Show each service: running, healthy, pid, URL, log file',
        (y) => withCommon(y),
        reportingErrors(isStackError, async (argv) => printResult(argv.json, await stackStatus(baseOptions(argv)), formatStatus)),
      )
      .command(
        'env',
        'Print `export` lines (or JSON) pointing clients at the running stack',
        (y) => withCommon(y),
        reportingErrors(isStackError, async (argv) => {
          const status = await stackStatus(baseOptions(argv));
          const url = (name: ServiceName) => (status.services[name]?.healthy ? status.services[name].url : undefined);
          const env = stackEnv({ mlflowUri: url('mlflow'), s3Endpoint: url('moto'), dockerHost: url('docker'), registryUrl: url('registry'), stateDir: status.stateDir });
          await printResult(argv.json, env, exportLines);
          if (!Object.keys(env).length) console.error('No healthy service; run `health-predict stack up` first.');
        }),
      )
      .command(
        'base-image',
        "Build (when missing) the local Node base image from Debian's packages and import it into the stack's dockerd",
        (y) => withCommon(y).option('rebuild', { type: 'boolean', describe: 'Rebuild the cached root filesystem and re-import' }),
        reportingErrors(isStackError, async (argv) => {
          const docker = (await stackStatus({ ...baseOptions(argv), services: ['docker'] })).services.docker;
          if (!docker?.healthy || !docker.url) throw new StackError('dockerd is not running in this stack; run `health-predict stack up --services docker,registry` first.');
          const result = await baseImage(docker.url, argv.rebuild ?? false);
          await printResult(argv.json, result);
        }),
      )
      .demandCommand(1),
  ) as Argv<T>;
}
