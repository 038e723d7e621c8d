/**
 * `health-predict cluster up|down|status|env|load|pull-secret|task-image|task-secret|deployer`. Registered in src/cli/main.ts with `clusterCommands(cli)`.
 *
 *   health-predict cluster up [--json]          # builds once per machine, then a few seconds
 *   health-predict cluster status [--json]
 *   eval "$(health-predict cluster env)"        # KUBECONFIG=<state>/kubeconfig
 *   health-predict cluster load image.tar       # import an OCI / `docker save` archive into the node
 *   health-predict cluster pull-secret --namespace NS --name regcred   # the stack registry's login as a Secret
 *   health-predict cluster task-image [--tag T] [--base-image B]       # build + push the task image, print <registry>/health-predict-tasks@sha256:…
 *   health-predict cluster task-secret [--namespace NS]   # the task pods' secrets (AWS keys, passwords, webhook) from this environment
 *   health-predict cluster deployer [--namespace NS] [--target-namespace T] [--pull-secret NAME]   # the deploy tasks' service account and its RBAC
 *   health-predict cluster down
 *
 * Cluster errors print their message (which names the component's log) and set exit code 1.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { type ClusterEvent, type ClusterOptions, type ClusterStatus, clusterDown, clusterStatus, clusterUp } from './cluster.ts';
import { importImage } from './containerd.ts';
import { applyPullSecret, withCluster } from '../k8s/index.ts';
import { TaskError } from '../runtime/errors.ts';
import { exportLines, formatTable, printResult, relativeToCwd as rel, reportingErrors, stoppedText } from '../host/command-output.ts';
import { HostError } from '../host/errors.ts';
import { ClusterError } from './errors.ts';
import { localPlatform, publishTaskImage } from './task-image.ts';
import { defaultStateDir, layoutOf } from './layout.ts';
import { applyTaskSecret } from './secrets.ts';
import { type AppliedDeployer, applyDeployer } from './deployer.ts';
import { TASK_DEPLOYER_SERVICE_ACCOUNT, TASK_SECRET_ENV } from '../pipeline/dag-defaults.ts';

interface CommonArgs {
  'state-dir'?: string;
  json?: boolean;
}

function withCommon<T>(y: Argv<T>) {
  return y
    .option('state-dir', { type: 'string', describe: 'State directory (default: $HP_CLUSTER_DIR or <repo>/.cluster)' })
    .option('json', { type: 'boolean', describe: 'Print JSON instead of text' });
}

/** KUBECONFIG when set, else the local cluster's (it must be running). */
async function useLocalClusterUnlessKubeconfig(argv: CommonArgs): Promise<void> {
  if (process.env.KUBECONFIG) return;
  const status = await clusterStatus(options(argv));
  if (!status.kubeconfig) throw new ClusterError('KUBECONFIG is not set and the local cluster is not running; run `health-predict cluster up` first.');
  process.env.KUBECONFIG = status.kubeconfig;
}

/** What a command applies, reported on stderr (stdout holds its result). */
const applyLog = { info: (_: object, msg: string) => console.error(msg), warn: (_: object, msg: string) => console.error(msg) };

export function formatStatus(status: ClusterStatus): string {
  const rows = [['component', 'running', 'healthy', 'pid', 'endpoint', 'log']];
  for (const [name, s] of Object.entries(status.components)) {
    rows.push([name, s.running ? 'yes' : 'no', s.healthy ? 'yes' : 'no', s.pid && s.running ? String(s.pid) : '-', s.endpoint, rel(s.log)]);
  }
  const table = formatTable(rows);
  const node = `node: ${status.nodeReady ? 'Ready' : 'not ready'}${status.kubeconfig ? `; kubeconfig ${rel(status.kubeconfig)}` : ''}${status.binariesBuilt ? '' : '; binaries not built yet (the first `cluster up` builds them, 30–50 min)'}`;
  return `${table}\n${node}`;
}

/** Progress goes to stderr so `--json` on stdout stays machine-readable. */
function progress(event: ClusterEvent): void {
  if (event.type === 'build' || event.type === 'setup') {
    if (event.line) console.error(event.type === 'build' ? `build: ${event.line}` : event.line);
    return;
  }
  const line =
    event.type === 'starting' ? `starting ${event.component} (pid ${event.pid}); log ${rel(event.log)}`
    : event.type === 'replacing' ? `replacing ${event.component} (pid ${event.pid}): ${event.reason}`
    : `${event.component} ${event.type === 'reuse' ? 'already running' : event.type} (pid ${event.pid})`;
  console.error(line);
}

/** HostError: the state-dir lock; TaskError: what the API server refused (src/k8s). */
const isClusterError = (error: unknown): error is Error => error instanceof ClusterError || error instanceof HostError || error instanceof TaskError;

const options = (argv: CommonArgs): ClusterOptions => ({ stateDir: argv['state-dir'], onEvent: progress });

/** One stderr line per build step and push, with the seconds since the start; the builder's command output is left out. */
function taskImageProgress() {
  const started = performance.now();
  const step = /^(\[|CACHED: |ERROR: |WARNING: |building |built |pushing |pushed |importing |base image |exporting )/;
  const line = (msg: string) => step.test(msg) && console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
  return { info: (_: object, msg: string) => line(msg), warn: (_: object, msg: string) => console.error(msg) };
}

export function deployerText(applied: AppliedDeployer): string {
  const { namespace: ns, targetNamespace: target } = applied;
  return [
    `service account ${ns}/${applied.serviceAccount}`,
    `role ${target}/${applied.role}${applied.pullSecret ? ` (may read secret ${applied.pullSecret})` : ''}`,
    `role binding ${target}/${applied.roleBinding}`,
    `cluster role ${applied.clusterRole} (get namespace ${target})`,
    `cluster role binding ${applied.clusterRoleBinding}`,
  ].join('\n');
}

export function clusterCommands<T>(yargs: Argv<T>): Argv<T> {
  return yargs.command('cluster', 'Start, stop and inspect the local single-node Kubernetes cluster', (cluster) =>
    cluster
      .command(
        'up',
        'Build the binaries once, start what is not running, wait until the node is Ready',
        (y) => withCommon(y).option('timeout', { type: 'number', describe: 'Seconds to wait for the node to turn Ready (default 180)' }),
        reportingErrors(isClusterError, async (argv) => {
          const started = performance.now();
          const info = await clusterUp({ ...options(argv), readyTimeoutMs: argv.timeout === undefined ? undefined : argv.timeout * 1000 });
          await printResult(argv.json, info, () => `cluster up in ${((performance.now() - started) / 1000).toFixed(1)} s: node ${info.nodeName} Ready, API ${info.server}\nexport KUBECONFIG='${info.kubeconfig}'`);
        }),
      )
      .command(
        'down',
        'Stop the pods, kubelet, control plane and containerd this state directory started',
        (y) => withCommon(y),
        reportingErrors(isClusterError, async (argv) => printResult(argv.json, { stopped: await clusterDown(options(argv)) }, stoppedText)),
      )
      .command(
        'status',
        'Show each component: running, healthy, pid, endpoint, log; and whether the node is Ready',
        (y) => withCommon(y),
        reportingErrors(isClusterError, async (argv) => printResult(argv.json, await clusterStatus(options(argv)), formatStatus)),
      )
      .command(
        'env',
        'Print `export KUBECONFIG=...` (or JSON) for the running cluster',
        (y) => withCommon(y),
        reportingErrors(isClusterError, async (argv) => {
          const status = await clusterStatus(options(argv));
          const env: Record<string, string> = status.kubeconfig ? { KUBECONFIG: status.kubeconfig } : {};
          await printResult(argv.json, env, exportLines);
          if (!status.kubeconfig) {
            console.error('The cluster API server is not running; run `health-predict cluster up` first.');
            process.exitCode = 1;
          }
        }),
      )
      .command(
        'load <archive>',
        'Import an image archive (OCI layout or `docker save` tar) into the node, as pods with imagePullPolicy IfNotPresent/Never use it',
        (y) => withCommon(y).positional('archive', { type: 'string', demandOption: true }),
        reportingErrors(isClusterError, async (argv) => {
          const layout = layoutOf(path.resolve(argv['state-dir'] ?? defaultStateDir()));
          const status = await clusterStatus(options(argv));
          if (!status.components.containerd.healthy) throw new ClusterError(`The node's containerd is not running (state dir ${layout.stateDir}); run \`health-predict cluster up\` first.`);
          const refs = await importImage(layout, path.resolve(argv.archive));
          await printResult(argv.json, { imported: refs }, () => (refs.length ? `imported: ${refs.join(', ')}` : 'imported (no image name in the archive)'));
        }),
      )
      .command(
        'pull-secret',
        "Apply a kubernetes.io/dockerconfigjson Secret with the stack registry's login (HP_LOCAL_REGISTRY* from `health-predict stack env`), for K8S_IMAGE_PULL_SECRET",
        (y) =>
          withCommon(y)
            .option('namespace', { type: 'string', default: 'health-predict', describe: 'Namespace (created when missing)' })
            .option('name', { type: 'string', default: 'health-predict-registry', describe: 'Secret name' }),
        reportingErrors(isClusterError, async (argv) => {
          const address = process.env.HP_LOCAL_REGISTRY;
          const username = process.env.HP_LOCAL_REGISTRY_USERNAME;
          const password = process.env.HP_LOCAL_REGISTRY_PASSWORD;
          if (!address || !username || !password) {
            throw new ClusterError('HP_LOCAL_REGISTRY, HP_LOCAL_REGISTRY_USERNAME and HP_LOCAL_REGISTRY_PASSWORD must be set: eval "$(health-predict stack env)" after `stack up --services all`.');
          }
          await useLocalClusterUnlessKubeconfig(argv);
          await withCluster({}, (cluster) => applyPullSecret(cluster, { namespace: argv.namespace, name: argv.name, registry: { address, username, password }, log: applyLog }));
          await printResult(argv.json, { namespace: argv.namespace, name: argv.name, registry: address });
        }),
      )
      .command(
        'task-secret',
        "Apply the Secret the cluster profile's task pods read their secrets from (AWS keys, MLflow and registry passwords, the Slack webhook, …), from the current environment",
        (y) =>
          withCommon(y)
            .option('namespace', { type: 'string', default: 'health-predict', describe: 'Namespace of the task pods (created when missing)' })
            .option('name', { type: 'string', default: TASK_SECRET_ENV.secretName, describe: 'Secret name (the profile names it)' }),
        reportingErrors(isClusterError, async (argv) => {
          await useLocalClusterUnlessKubeconfig(argv);
          const applied = await withCluster({}, (cluster) =>
            applyTaskSecret(cluster, { namespace: argv.namespace, secretName: argv.name, names: TASK_SECRET_ENV.names, env: process.env, log: applyLog }),
          );
          await printResult(argv.json, applied, () => `secret ${applied.namespace}/${applied.secretName}: ${applied.keys.join(', ') || 'no keys'}${applied.unset.length ? ` (not set here: ${applied.unset.join(', ')})` : ''}`);
        }),
      )
      .command(
        'deployer',
        `Apply the service account of the deploy task pods (${TASK_DEPLOYER_SERVICE_ACCOUNT}) and the RBAC to deploy the API into one namespace`,
        (y) =>
          withCommon(y)
            .option('namespace', { type: 'string', default: 'health-predict', describe: 'Namespace of the task pods: the service account lives here (created when missing)' })
            .option('target-namespace', { type: 'string', default: process.env.K8S_NAMESPACE || 'health-predict', describe: 'Namespace the API is deployed into (default $K8S_NAMESPACE, else health-predict; created when missing)' })
            .option('pull-secret', { type: 'string', default: process.env.K8S_IMAGE_PULL_SECRET || undefined, describe: 'Image pull secret the tasks may read by name (default $K8S_IMAGE_PULL_SECRET; none when unset)' }),
        reportingErrors(isClusterError, async (argv) => {
          await useLocalClusterUnlessKubeconfig(argv);
          const applied = await withCluster({}, (cluster) =>
            applyDeployer(cluster, { namespace: argv.namespace, targetNamespace: argv['target-namespace'], ...(argv['pull-secret'] ? { pullSecret: argv['pull-secret'] } : {}), log: applyLog }),
          );
          await printResult(argv.json, applied, () => deployerText(applied));
        }),
      )
      .command(
        'task-image',
        "Build the task image (deploy/tasks/Dockerfile) and push it to the stack's registry; prints its reference by digest for the cluster profile",
        (y) =>
          withCommon(y)
            .option('tag', { type: 'string', describe: 'Tag to build and push (default latest)' })
            .option('base-image', { type: 'string', describe: 'BASE_IMAGE: Debian 12 with Node 20 (default $BASE_IMAGE, else the local Node base image)' }),
        reportingErrors(isClusterError, async (argv) => {
          const log = taskImageProgress();
          const env = argv['base-image'] ? { ...process.env, BASE_IMAGE: argv['base-image'] } : process.env;
          const published = await publishTaskImage({ ...(await localPlatform(env, undefined, log)), tag: argv.tag, log });
          const { image } = published;
          const summary = { reference: published.reference, tag_reference: published.tagReference, digest: published.digest, image_id: image.imageId, size_bytes: image.sizeBytes, build_seconds: image.seconds, push_seconds: published.pushSeconds };
          await printResult(argv.json, summary, () => published.reference);
        }),
      )
      .demandCommand(1),
  ) as Argv<T>;
}
