/**
 * The pods of a Kubernetes runner as NodeTaskPodOperator kwargs: the task pods and the failure
 * handler's share the image, namespace, secrets (by reference to a Kubernetes Secret), settings
 * from the worker, resources and how the pod is run, watched and deleted.
 */
import type { FailureHandlerSpec, PodNeedsSpec, RunnerSpec } from '../../dsl/spec.ts';
import { py, pyStr, pyValue, type PyCode } from '../render/literals.ts';
import { kw, present, type Kwarg } from './kwargs.ts';

export function podName(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'task';
}

export type KubernetesRunnerSpec = Extract<RunnerSpec, { kind: 'kubernetes' }>;

/** Where a pod that needs Docker finds the node's daemon (the runner's `dockerSocket`). */
const DOCKER_SOCKET_MOUNT = '/var/run/docker.sock';
const DOCKER_SOCKET_VOLUME = 'docker-socket';

/** The node's Docker socket when this task needs Docker and the runner names one. */
function dockerSocketFor(runner: KubernetesRunnerSpec, needs: PodNeedsSpec | undefined) {
  return needs?.docker ? runner.dockerSocket : undefined;
}

/** A pod with the node's Docker socket mounted names it in DOCKER_HOST, whatever DOCKER_HOST the worker has. */
export function dockerSocketEnv(runner: KubernetesRunnerSpec, needs: PodNeedsSpec | undefined): Record<string, string> {
  return dockerSocketFor(runner, needs) ? { DOCKER_HOST: `unix://${DOCKER_SOCKET_MOUNT}` } : {};
}

/** The socket as a hostPath volume, its mount, and its group added to the pod's (the image's user is not root). */
function dockerSocketKwargs(runner: KubernetesRunnerSpec, needs: PodNeedsSpec | undefined): Kwarg[] {
  const socket = dockerSocketFor(runner, needs);
  if (!socket) return [];
  return present([
    kw('volumes', py(`[k8s.V1Volume(name=${pyStr(DOCKER_SOCKET_VOLUME)}, host_path=k8s.V1HostPathVolumeSource(path=${pyStr(socket.path)}, type=${pyStr('Socket')}))]`)),
    kw('volume_mounts', py(`[k8s.V1VolumeMount(name=${pyStr(DOCKER_SOCKET_VOLUME)}, mount_path=${pyStr(DOCKER_SOCKET_MOUNT)})]`)),
    kw('security_context', socket.group === undefined ? undefined : py(`k8s.V1PodSecurityContext(supplemental_groups=[${socket.group}])`)),
  ]);
}

/**
 * Names for values many pods share, so the DAG file spells each once: the same value gets the same
 * name (`TASK_SECRETS`, `WORKER_ENV`; `_2`… when runners differ).
 */
export class PodConstants {
  private readonly byValue = new Map<string, string>();
  readonly emitted: { name: string; value: PyCode }[] = [];

  name(base: string, value: string): PyCode {
    let name = this.byValue.get(value);
    if (!name) {
      const taken = this.emitted.filter((constant) => constant.name === base || constant.name.startsWith(`${base}_`)).length;
      name = taken ? `${base}_${taken + 1}` : base;
      this.byValue.set(value, name);
      this.emitted.push({ name, value: py(value) });
    }
    return py(name);
  }
}

/** `_secret_env('secret', 'NAME', …)`: the template's helper that fills each variable from the Secret's key of that name. */
function secretEnv(runner: KubernetesRunnerSpec, constants: PodConstants): PyCode | undefined {
  const secret = runner.secretEnv;
  return secret ? constants.name('TASK_SECRETS', `_secret_env(${[secret.secretName, ...secret.names].map(pyStr).join(', ')})`) : undefined;
}

function workerEnv(runner: KubernetesRunnerSpec, constants: PodConstants): PyCode | undefined {
  return runner.workerEnv?.length ? constants.name('WORKER_ENV', `(${runner.workerEnv.map(pyStr).join(', ')},)`) : undefined;
}

/**
 * What every pod of a Kubernetes runner shares, task pods and the failure handler's alike: the
 * container (head), how it runs (tail); `needs` adds one task's service account and Docker socket.
 */
export function podKwargs(script: string, runner: KubernetesRunnerSpec, constants: PodConstants, needs?: PodNeedsSpec): { head: Kwarg[]; tail: Kwarg[] } {
  const resources = runner.resources
    ? py(`k8s.V1ResourceRequirements(requests=${pyValue(runner.resources.requests ?? {})}, limits=${pyValue(runner.resources.limits ?? {})})`)
    : undefined;
  const pullSecrets = runner.imagePullSecrets?.length
    ? py(`[${runner.imagePullSecrets.map((name) => `k8s.V1LocalObjectReference(name=${pyStr(name)})`).join(', ')}]`)
    : undefined;
  const head = present([
    kw('namespace', runner.namespace),
    kw('image', runner.image),
    kw('cmds', ['node', '--enable-source-maps']),
    kw('arguments', [`${runner.tasksDir}/${script}.mjs`]),
  ]);
  const tail = present([
    kw('secrets', secretEnv(runner, constants)),
    kw('worker_env', workerEnv(runner, constants)),
    kw('get_logs', true),
    kw('on_finish_action', 'delete_pod'),
    // The error text (which the failure handler passes on) names the pod and ends with the script's
    // last log lines (its error), without the whole pod spec.
    kw('log_pod_spec_on_failure', false),
    kw('termination_message_policy', 'FallbackToLogsOnError'),
    // Seconds between checks while the pod starts (the provider's 5 s would be most of a short task's time).
    kw('startup_check_interval_seconds', 1),
    kw('container_resources', resources),
    kw('hostnetwork', runner.hostNetwork),
    kw('service_account_name', needs?.serviceAccountName ?? runner.serviceAccountName),
    ...dockerSocketKwargs(runner, needs),
    kw('image_pull_policy', runner.imagePullPolicy),
    kw('image_pull_secrets', pullSecrets),
    kw('in_cluster', runner.inCluster),
    kw('config_file', runner.configFile),
    kw('startup_timeout_seconds', runner.startupTimeoutSeconds),
  ]);
  return { head, tail };
}

/** The handler's pod: the task pods' image, secrets and settings; its input is set by the callback, its output only logged. */
export function failureHandlerPodKwargs(handler: FailureHandlerSpec, runner: KubernetesRunnerSpec, constants: PodConstants, timeoutSeconds: number): Kwarg[] {
  const pod = podKwargs(handler.script, runner, constants);
  return present([
    kw('name', podName(handler.script)),
    ...pod.head,
    ...pod.tail,
    kw('do_xcom_push', false),
    kw('active_deadline_seconds', timeoutSeconds),
    kw('reattach_on_restart', false),
    kw('labels', { 'health-predict/role': 'failure-handler' }),
  ]);
}
