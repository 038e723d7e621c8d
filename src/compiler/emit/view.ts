/**
 * IR → the view the Python template renders. Every value here is either a JSON-like value
 * or a PyCode built from validated pieces; the template prints them through `py`.
 */
import { RECURRING_SCHEDULE_PRESETS } from '../../dsl/options.ts';
import type { BranchTaskSpec, DagSpec, FailureHandlerSpec, JsonSchema, NodeTaskSpec, RunnerSpec, TaskSpec, TriggerTaskSpec } from '../../dsl/spec.ts';
import type { InputBinding } from '../../runtime/contract.ts';
import { ENV, EXIT_NON_RETRYABLE, EXIT_SKIP, KPO_XCOM_FILE } from '../../runtime/contract.ts';
import { FAILURE_INPUT_FIELD } from '../../runtime/failure.ts';
import { jinjaJsonText, jinjaStr, py, pyDict, pyStr, pyValue, shellQuote, type PyCode, type PyDict } from '../render/literals.ts';
import { CompileError } from '../diagnostics.ts';
import type { DocComments } from '../doc-comments.ts';
import { dagDoc, taskDoc } from './docs.ts';
import { emittedEdges } from './edges.ts';
import { kw, present, type Kwarg } from './kwargs.ts';
import { dockerSocketEnv, failureHandlerPodKwargs, PodConstants, podKwargs, podName } from './pod.ts';

export type { Kwarg } from './kwargs.ts';

export interface TaskView {
  readonly variable: string;
  readonly operator: string;
  readonly kwargs: readonly Kwarg[];
}

export interface BranchView {
  readonly functionName: string;
  readonly branchId: string;
  readonly sourceLabel: string;
  readonly valueExpression: string;
  readonly paths: Record<string, readonly string[]>;
}

export interface FailureHandlerView {
  readonly script: string;
  /** The handler runs in a pod of the task image (the profile's runner is Kubernetes): NodeTaskPodOperator's kwargs. */
  readonly pod?: { readonly kwargs: readonly Kwarg[] };
  /** Python dict expression of the handler's inputs other than `failure`. */
  readonly inputs: PyCode;
  readonly env: { readonly input: string; readonly dagId: string; readonly taskId: string; readonly runId: string; readonly tryNumber: string; readonly tasksDir: string };
  readonly failureField: string;
  readonly timeoutSeconds: number;
}

export interface DagView {
  readonly imports: readonly string[];
  /** The Jinja env every Node task shares, when the DAG has Node tasks. */
  readonly runContextEnv?: { readonly name: string; readonly value: Readonly<Record<string, string>> };
  readonly failureHandler?: FailureHandlerView;
  readonly tasksDirDefault?: string;
  readonly tasksDirEnv: string;
  readonly usesBash: boolean;
  readonly usesPod: boolean;
  /** Some pod takes environment variables from a Kubernetes Secret: `_secret_env` is emitted. */
  readonly usesSecretEnv: boolean;
  /** Some task has `skipUnlessSucceeded`: the `_skip_unless_succeeded` hook is emitted. */
  readonly usesSkipUnlessSucceeded: boolean;
  /** TASKS_DIR is defined: bash tasks or the failure handler run bundles on the worker. */
  readonly needsTasksDir: boolean;
  /** Some task script's output reaches this file (a bash task, a pod's log, the failure handler): `_log_script_line` re-logs it. */
  readonly relogsScriptOutput: boolean;
  readonly nonRetryableExitCode: number;
  /** The DAG has `scheduleEnv`: `_schedule_from_env` is emitted, accepting these presets. */
  readonly scheduleOverride?: { readonly presets: readonly string[] };
  readonly branches: readonly BranchView[];
  /** Module-level constants the pods share (their settings from the worker, their secrets), emitted once. */
  readonly podConstants: readonly { readonly name: string; readonly value: PyCode }[];
  readonly dagKwargs: readonly Kwarg[];
  readonly groups: readonly { variable: string; kwargs: readonly Kwarg[] }[];
  readonly tasks: readonly TaskView[];
  readonly edges: readonly { upstream: string; downstream: string }[];
}

export interface ViewOptions {
  readonly profile: string;
  /** Environment variable that overrides where the bundles are, read when the DAG is parsed. */
  readonly tasksDirEnv: string;
  /** Fixed bundle directory; when absent, `<repo>/dist/tasks` relative to the DAG file. */
  readonly tasksDir?: string;
  /** The sources' doc comments, for doc_md where the DSL gives no `doc`. */
  readonly docComments?: DocComments;
}

const timedelta = (seconds: number): PyCode => py(`datetime.timedelta(seconds=${seconds})`);

function startDate(iso: string): PyCode {
  const d = new Date(iso);
  const parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  return py(`datetime.datetime(${parts.join(', ')}, tzinfo=datetime.timezone.utc)`);
}

/** Python identifiers for tasks and groups: stable, unique, derived from the ids. */
function variableNamer(): (prefix: string, id: string) => string {
  const used = new Set<string>();
  return (prefix, id) => {
    const base = `${prefix}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let name = base;
    for (let n = 2; used.has(name); n += 1) name = `${base}_${n}`;
    used.add(name);
    return name;
  };
}


/** How long the failure handler may run before the callback gives up on it. */
export const FAILURE_HANDLER_TIMEOUT_SECONDS = 120;

function failureHandlerView(handler: FailureHandlerSpec, runner: RunnerSpec | undefined, constants: PodConstants): FailureHandlerView {
  const entries = Object.entries(handler.bindings)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([field, binding]) => `${pyStr(field)}: ${binding.from === 'param' ? `context["params"].get(${pyStr(binding.name)})` : pyValue(binding.value)}`);
  return {
    script: handler.script,
    inputs: py(`{${entries.join(', ')}}`),
    env: { input: ENV.input, dagId: ENV.dagId, taskId: ENV.taskId, runId: ENV.runId, tryNumber: ENV.tryNumber, tasksDir: ENV.tasksDir },
    failureField: FAILURE_INPUT_FIELD,
    timeoutSeconds: FAILURE_HANDLER_TIMEOUT_SECONDS,
    ...(runner?.kind === 'kubernetes' ? { pod: { kwargs: failureHandlerPodKwargs(handler, runner, constants, FAILURE_HANDLER_TIMEOUT_SECONDS) } } : {}),
  };
}

/** Airflow's trigger form offers an array param with `examples` as a multi-select; `items.enum` still validates. */
function withTriggerFormChoices(schema: JsonSchema): JsonSchema {
  const choices = (schema.items as JsonSchema | undefined)?.enum;
  return schema.type === 'array' && Array.isArray(choices) && !('examples' in schema) ? { ...schema, examples: choices } : schema;
}

/** The schedule argument: the default, or the template's `_schedule_from_env(name, default)` when the deployment may override it. */
function scheduleArgument(spec: DagSpec): unknown {
  const schedule = spec.schedule;
  const compiled = schedule.kind === 'none' ? null : schedule.kind === 'interval' ? timedelta(schedule.seconds) : schedule.value;
  if (spec.scheduleEnv === undefined) return compiled;
  if (schedule.kind === 'none' || (schedule.kind === 'preset' && !(RECURRING_SCHEDULE_PRESETS as readonly string[]).includes(schedule.value))) {
    throw new CompileError(`DAG '${spec.dagId}' has scheduleEnv '${spec.scheduleEnv}' but no recurring schedule for it to override.`, spec.dagId, undefined, spec.source);
  }
  return py(`_schedule_from_env(${pyStr(spec.scheduleEnv)}, ${pyValue(compiled)})`);
}

function dagKwargs(spec: DagSpec, docComments: DocComments | undefined): Kwarg[] {
  const schedule = scheduleArgument(spec);
  const args = spec.defaultArgs;
  const defaultArgs = Object.fromEntries(
    Object.entries({
      owner: args.owner,
      depends_on_past: args.dependsOnPast,
      email: args.email,
      email_on_failure: args.emailOnFailure,
      email_on_retry: args.emailOnRetry,
      retries: args.retries,
      retry_delay: args.retryDelaySeconds === undefined ? undefined : timedelta(args.retryDelaySeconds),
      // Airflow 3 reads it as the delay's multiplier per retry: True would be 1 (a constant delay).
      retry_exponential_backoff: args.retryExponentialBackoff === undefined ? undefined : args.retryExponentialBackoff ? 2 : 0,
      max_retry_delay: args.maxRetryDelaySeconds === undefined ? undefined : timedelta(args.maxRetryDelaySeconds),
      execution_timeout: args.executionTimeoutSeconds === undefined ? undefined : timedelta(args.executionTimeoutSeconds),
      on_failure_callback: spec.onFailure ? py('_on_task_failure') : undefined,
    }).filter(([, value]) => value !== undefined),
  );
  const params = Object.fromEntries(
    spec.params.map((param) => {
      const parts = [
        ...(param.default === undefined ? [] : [pyValue(param.default)]),
        ...(param.description === undefined ? [] : [`description=${pyStr(param.description)}`]),
        `**${pyValue(withTriggerFormChoices(param.schema))}`,
      ];
      return [param.name, py(`Param(${parts.join(', ')})`)];
    }),
  );
  return present([
    kw('dag_id', spec.dagId),
    kw('description', spec.description),
    kw('doc_md', dagDoc(spec, docComments)),
    kw('schedule', schedule),
    kw('start_date', startDate(spec.startDate)),
    kw('catchup', spec.catchup),
    kw('max_active_runs', spec.maxActiveRuns),
    kw('dagrun_timeout', spec.dagrunTimeoutSeconds === undefined ? undefined : timedelta(spec.dagrunTimeoutSeconds)),
    kw('tags', spec.tags.length ? spec.tags : undefined),
    kw('params', spec.params.length ? params : undefined),
    kw('default_args', Object.keys(defaultArgs).length ? defaultArgs : undefined),
  ]);
}

/** Who is running, rendered by Airflow for every Node task; emitted once as RUN_CONTEXT_ENV. */
const RUN_CONTEXT_ENV: Readonly<Record<string, string>> = {
  [ENV.dagId]: '{{ dag.dag_id }}',
  [ENV.taskId]: '{{ ti.task_id }}',
  [ENV.runId]: '{{ run_id }}',
  [ENV.tryNumber]: '{{ ti.try_number }}',
};
const RUN_CONTEXT_VARIABLE = 'RUN_CONTEXT_ENV';

/** Templated env values: our own Jinja for run-time values, `literal()` for everything static. */
function nodeEnv(task: NodeTaskSpec, runner: RunnerSpec): PyDict {
  const env: Record<string, unknown> = {};
  if (runner.kind === 'bash') env[ENV.tasksDir] = py('literal(TASKS_DIR)');
  else env[ENV.xcomFile] = py(`literal(${pyStr(KPO_XCOM_FILE)})`);
  if (Object.keys(task.bindings).length) env[ENV.bindings] = py(`literal(${pyStr(JSON.stringify(task.bindings))})`);
  for (const [field, binding] of Object.entries(task.bindings)) {
    if (binding.from === 'xcom') env[`${ENV.inputPrefix}${field}`] = `{{ ti.xcom_pull(task_ids=${jinjaStr(binding.task)}) | tojson }}`;
    if (binding.from === 'param') env[`${ENV.inputPrefix}${field}`] = `{{ params[${jinjaStr(binding.name)}] | tojson }}`;
  }
  const userEnv: Record<string, string> = { ...(runner.kind === 'kubernetes' ? { ...runner.env, ...dockerSocketEnv(runner, task.pod) } : {}), ...task.env };
  for (const name of Object.keys(userEnv).sort()) env[name] = py(`literal(${pyStr(userEnv[name]!)})`);
  return pyDict([py(RUN_CONTEXT_VARIABLE)], env);
}

function runnerKwargs(task: NodeTaskSpec, runner: RunnerSpec, constants: PodConstants): { operator: string; kwargs: Kwarg[] } {
  if (runner.kind === 'bash') {
    return {
      operator: 'NodeTaskBashOperator',
      kwargs: present([
        kw('bash_command', `exec node --enable-source-maps "$${ENV.tasksDir}"/${shellQuote(`${task.script}.mjs`)}`),
        kw('env', nodeEnv(task, runner)),
        kw('append_env', true),
        kw('output_processor', py('json.loads')),
      ]),
    };
  }
  const pod = podKwargs(task.script, runner, constants, task.pod);
  return {
    operator: 'NodeTaskPodOperator',
    kwargs: present([
      kw('name', podName(task.id)),
      ...pod.head,
      kw('env_vars', nodeEnv(task, runner)),
      kw('do_xcom_push', true),
      kw('skip_on_exit_code', EXIT_SKIP),
      ...pod.tail,
    ]),
  };
}

/** `_skip_unless_succeeded(("a", "b",))`: the template's pre_execute hook over full task ids. */
function skipUnlessSucceededHook(taskIds: readonly string[] | undefined): PyCode | undefined {
  return taskIds === undefined ? undefined : py(`_skip_unless_succeeded((${taskIds.map(pyStr).join(', ')},))`);
}

function commonKwargs(task: TaskSpec, groupVariable: string | undefined, docComments: DocComments | undefined): { head: Kwarg[]; tail: Kwarg[] } {
  return {
    head: present([kw('task_id', task.localId), kw('task_group', groupVariable === undefined ? undefined : py(groupVariable))]),
    tail: present([
      kw('trigger_rule', task.triggerRule === 'all_success' ? undefined : task.triggerRule),
      kw('pre_execute', skipUnlessSucceededHook(task.skipUnlessSucceeded)),
      kw('retries', task.retries),
      kw('retry_delay', task.retryDelaySeconds === undefined ? undefined : timedelta(task.retryDelaySeconds)),
      kw('execution_timeout', task.executionTimeoutSeconds === undefined ? undefined : timedelta(task.executionTimeoutSeconds)),
      kw('doc_md', taskDoc(task, docComments)),
    ]),
  };
}

function branchView(task: BranchTaskSpec, functionName: string): BranchView {
  const on = task.on;
  const valueExpression =
    on.from === 'param'
      ? `context["params"].get(${pyStr(on.name)})`
      : `_pick(context["ti"].xcom_pull(task_ids=${pyStr(on.task)}), ${pyValue(on.path)})`;
  const sourceLabel = on.from === 'param' ? `param '${on.name}'` : on.path.length ? `task '${on.task}' field '${on.path.join('.')}'` : `task '${on.task}'`;
  return { functionName, branchId: task.id, sourceLabel, valueExpression, paths: task.paths };
}

/** The JSON text one conf value renders to at run time: Jinja's `tojson` for run-time values. */
function confValueTemplate(binding: InputBinding): string {
  if (binding.from === 'const') return jinjaJsonText(binding.value);
  if (binding.from === 'param') return `{{ params[${jinjaStr(binding.name)}] | tojson }}`;
  const path = binding.path.map((key) => `[${jinjaStr(key)}]`).join('');
  return `{{ ti.xcom_pull(task_ids=${jinjaStr(binding.task)})${path} | tojson }}`;
}

/**
 * A trigger's conf as one template that renders to a JSON object: Jinja renders every string of a
 * dict conf to a string, so numbers and lists would arrive as text; TriggerDagRunOperator
 * json-loads a conf that renders to a string, which keeps each value's JSON type.
 * (render_template_as_native_obj would do it too, but for every templated field of the DAG.)
 */
function confTemplate(task: TriggerTaskSpec): string | undefined {
  const keys = Object.keys(task.conf).sort();
  if (!keys.length) return undefined;
  return `{${keys.map((key) => `${jinjaJsonText(key)}: ${confValueTemplate(task.conf[key]!)}`).join(', ')}}`;
}

/**
 * The run starts now with a run id Airflow generates and no logical date, so two triggers never
 * collide; a target with max_active_runs 1 that is busy keeps the new run queued until it is free.
 */
function triggerKwargs(task: TriggerTaskSpec): Kwarg[] {
  return present([
    kw('trigger_dag_id', task.targetDagId),
    kw('conf', confTemplate(task)),
    kw('logical_date', null),
    kw('wait_for_completion', task.waitForCompletion || undefined),
    kw('poke_interval', task.pokeIntervalSeconds),
  ]);
}

export function buildView(spec: DagSpec, options: ViewOptions): DagView {
  const profileRunner = spec.profiles[options.profile];
  const name = variableNamer();
  const groupVariables = new Map(spec.groups.map((group) => [group.id, name('tg', group.id)]));
  const taskVariables = new Map(spec.tasks.map((task) => [task.id, name('t', task.id)]));
  const branches: BranchView[] = [];
  let usesBash = false;
  let usesPod = false;
  let usesSecretEnv = false;
  const podConstants = new PodConstants();
  const tasks: TaskView[] = spec.tasks.map((task) => {
    const variable = taskVariables.get(task.id)!;
    const { head, tail } = commonKwargs(task, task.group === undefined ? undefined : groupVariables.get(task.group), options.docComments);
    if (task.kind === 'empty') return { variable, operator: 'EmptyOperator', kwargs: [...head, ...tail] };
    if (task.kind === 'trigger') return { variable, operator: 'TriggerDagRunOperator', kwargs: [...head, ...triggerKwargs(task), ...tail] };
    if (task.kind === 'branch') {
      const view = branchView(task, name('_decide', task.id));
      branches.push(view);
      return { variable, operator: 'BranchPythonOperator', kwargs: [...head, { name: 'python_callable', value: py(view.functionName) }, ...tail] };
    }
    const runner = task.runner ?? profileRunner;
    if (!runner) throw new CompileError(`Task '${task.id}' has no runner: DAG '${spec.dagId}' declares no profile '${options.profile}'.`, spec.dagId, task.id, task.source);
    if (runner.kind === 'bash') usesBash = true;
    else {
      usesPod = true;
      usesSecretEnv ||= runner.secretEnv !== undefined;
    }
    const { operator, kwargs } = runnerKwargs(task, runner, podConstants);
    return { variable, operator, kwargs: [...head, ...kwargs, ...tail] };
  });
  // The failure handler runs where the profile runs Node tasks: a subprocess on the worker, or a pod.
  const handlerRunner = spec.onFailure ? profileRunner : undefined;
  if (handlerRunner?.kind === 'kubernetes') {
    usesPod = true;
    usesSecretEnv ||= handlerRunner.secretEnv !== undefined;
  }
  const handlerInPod = handlerRunner?.kind === 'kubernetes';
  const failureHandler = spec.onFailure ? failureHandlerView(spec.onFailure, handlerRunner, podConstants) : undefined;
  const usesNode = usesBash || usesPod;
  const usesSkipUnlessSucceeded = spec.tasks.some((task) => task.skipUnlessSucceeded !== undefined);
  const exceptions = [...(usesNode ? ['AirflowException'] : []), 'AirflowFailException', ...(usesSkipUnlessSucceeded ? ['AirflowSkipException'] : [])];
  const sdkNames = ['DAG', ...(spec.params.length ? ['Param'] : []), ...(spec.groups.length ? ['TaskGroup'] : []), ...(usesNode ? ['literal'] : [])];
  const kinds = new Set(spec.tasks.map((task) => task.kind));
  const fromImports = [
    ...(usesPod ? ['from kubernetes.client import models as k8s'] : []),
    ...(kinds.has('empty') ? ['from airflow.providers.standard.operators.empty import EmptyOperator'] : []),
    ...(usesBash ? ['from airflow.providers.standard.operators.bash import BashOperator'] : []),
    ...(usesBash ? ['from airflow.providers.standard.hooks.subprocess import SubprocessHook'] : []),
    ...(kinds.has('branch') ? ['from airflow.providers.standard.operators.python import BranchPythonOperator'] : []),
    ...(usesPod ? ['from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator'] : []),
    ...(usesPod ? ['from airflow.providers.cncf.kubernetes.utils.pod_manager import PodManager'] : []),
    ...(usesPod ? ['from airflow.providers.cncf.kubernetes.utils.xcom_sidecar import PodDefaults'] : []),
    ...(usesSecretEnv ? ['from airflow.providers.cncf.kubernetes.secret import Secret'] : []),
    ...(kinds.has('trigger') ? ['from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator'] : []),
    `from airflow.sdk import ${sdkNames.sort().join(', ')}`,
    ...(usesNode || kinds.has('branch') ? [`from airflow.sdk.exceptions import ${exceptions.join(', ')}`] : []),
  ].sort();
  const needsTasksDir = usesBash || (!!spec.onFailure && !handlerInPod);
  const readsEnvironment = needsTasksDir || usesPod || spec.scheduleEnv !== undefined;
  const imports = [
    'import datetime',
    ...(usesBash || usesPod ? ['import functools'] : []),
    ...(needsTasksDir || usesPod || spec.onFailure ? ['import json'] : []),
    ...(spec.onFailure ? ['import logging'] : []),
    ...(readsEnvironment ? ['import os'] : []),
    ...(spec.onFailure && !handlerInPod ? ['import subprocess'] : []),
    '',
    ...fromImports,
  ];
  const fixedTasksDir = options.tasksDir;
  return {
    imports,
    ...(failureHandler ? { failureHandler } : {}),
    ...(usesNode ? { runContextEnv: { name: RUN_CONTEXT_VARIABLE, value: RUN_CONTEXT_ENV } } : {}),
    needsTasksDir,
    relogsScriptOutput: needsTasksDir || usesPod,
    ...(needsTasksDir
      ? { tasksDirDefault: fixedTasksDir ? pyStr(fixedTasksDir) : 'os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "dist", "tasks")' }
      : {}),
    tasksDirEnv: options.tasksDirEnv,
    usesBash,
    usesPod,
    usesSecretEnv,
    usesSkipUnlessSucceeded,
    nonRetryableExitCode: EXIT_NON_RETRYABLE,
    ...(spec.scheduleEnv === undefined ? {} : { scheduleOverride: { presets: RECURRING_SCHEDULE_PRESETS } }),
    branches,
    podConstants: podConstants.emitted,
    dagKwargs: dagKwargs(spec, options.docComments),
    groups: spec.groups.map((group) => ({
      variable: groupVariables.get(group.id)!,
      kwargs: present([
        kw('group_id', group.localId),
        kw('tooltip', group.tooltip),
        kw('parent_group', group.parent === undefined ? undefined : py(groupVariables.get(group.parent)!)),
      ]),
    })),
    tasks,
    edges: emittedEdges(spec).map((edge) => ({ upstream: taskVariables.get(edge.upstream)!, downstream: taskVariables.get(edge.downstream)! })),
  };
}
