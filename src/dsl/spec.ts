/**
 * The IR: a plain, readonly description of one DAG. The DSL builds it; the compiler checks
 * and emits it. Nothing here knows about Python or Airflow's classes.
 */
import type { InputBinding, SourceLocation } from '../runtime/index.ts';

export type JsonSchema = { readonly [key: string]: unknown };

export const TRIGGER_RULES = [
  'all_success',
  'all_failed',
  'all_done',
  'all_done_min_one_success',
  'all_skipped',
  'one_success',
  'one_done',
  'one_failed',
  'none_failed',
  'none_failed_min_one_success',
  'none_skipped',
  'always',
] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

export type ScheduleSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'preset'; readonly value: string }
  | { readonly kind: 'cron'; readonly value: string }
  | { readonly kind: 'interval'; readonly seconds: number };

export interface ParamSpec {
  readonly name: string;
  readonly default: unknown;
  readonly description?: string;
  /** JSON Schema keywords for Airflow's `Param` (type, enum, minimum, …). */
  readonly schema: JsonSchema;
}

export interface DefaultArgsSpec {
  readonly owner?: string;
  readonly retries?: number;
  readonly retryDelaySeconds?: number;
  readonly retryExponentialBackoff?: boolean;
  readonly maxRetryDelaySeconds?: number;
  readonly executionTimeoutSeconds?: number;
  readonly email?: readonly string[];
  readonly emailOnFailure?: boolean;
  readonly emailOnRetry?: boolean;
  readonly dependsOnPast?: boolean;
}

export interface ResourcesSpec {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

export type RunnerSpec =
  | { readonly kind: 'bash' }
  | {
      readonly kind: 'kubernetes';
      readonly image: string;
      readonly namespace: string;
      /** Where the task bundles live inside the image. */
      readonly tasksDir: string;
      readonly resources?: ResourcesSpec;
      readonly serviceAccountName?: string;
      readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
      readonly imagePullSecrets?: readonly string[];
      readonly inCluster?: boolean;
      readonly configFile?: string;
      readonly startupTimeoutSeconds?: number;
      /** Static environment variables, compiled into the DAG file. */
      readonly env?: Readonly<Record<string, string>>;
      /**
       * Settings (never secrets) the pod takes from the Airflow worker's environment when the task
       * runs, as the local profile's bash tasks inherit them: each name that is set there.
       */
      readonly workerEnv?: readonly string[];
      /** Secrets: each name is an environment variable filled from the key of that name in this Kubernetes Secret. */
      readonly secretEnv?: SecretEnvSpec;
      /** Run the pods in the node's network namespace (a cluster whose pods reach the platform on the node's loopback). */
      readonly hostNetwork?: boolean;
      /** The node's Docker daemon, for the pods of tasks that declare `pod: { docker: true }`. */
      readonly dockerSocket?: DockerSocketSpec;
    };

/** A Docker daemon's socket on the node: mounted at /var/run/docker.sock, its group added to the pod's. */
export interface DockerSocketSpec {
  readonly path: string;
  /** The socket's group id on the node (the task image runs as a non-root user). */
  readonly group?: number;
}

/** What one task's pod needs beyond its runner's (a Kubernetes runner only; a bash task has the worker's). */
export interface PodNeedsSpec {
  /** This task's pod runs as this service account (e.g. one allowed to change a Deployment). */
  readonly serviceAccountName?: string;
  /** The task talks to a Docker daemon: the runner's `dockerSocket` is mounted, else DOCKER_HOST must name one. */
  readonly docker?: boolean;
}

export interface SecretEnvSpec {
  /** The Kubernetes Secret in the runner's namespace. */
  readonly secretName: string;
  readonly names: readonly string[];
}

interface TaskSpecBase {
  /** Full Airflow task id, group prefixes included (`deploy.push_image`). */
  readonly id: string;
  /** The id as written in the DSL, without group prefixes. */
  readonly localId: string;
  /** Full id of the enclosing task group, if any. */
  readonly group?: string;
  /** Full ids of direct upstream tasks, in declaration order. */
  readonly upstream: readonly string[];
  /**
   * The ids in `upstream` that only an input binding put there: the author wrote no `after:` for
   * them. The compiler leaves such an edge out of the DAG file when another path already orders
   * the two tasks (compiler/emit/edges.ts). Absent when there are none.
   */
  readonly impliedUpstream?: readonly string[];
  readonly triggerRule: TriggerRule;
  /**
   * Full ids of tasks that must have succeeded in this run, checked when this task is about to
   * run (after its trigger rule fired); otherwise it is skipped, the reason logged. Never empty.
   */
  readonly skipUnlessSucceeded?: readonly string[];
  readonly doc?: string;
  readonly retries?: number;
  readonly retryDelaySeconds?: number;
  readonly executionTimeoutSeconds?: number;
  readonly source?: SourceLocation;
}

export interface NodeTaskSpec extends TaskSpecBase {
  readonly kind: 'node';
  /** Script id: the bundle `<script>.mjs`, built from `<tasks dir>/<script>.ts`. */
  readonly script: string;
  readonly scriptSource?: SourceLocation;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  readonly bindings: Readonly<Record<string, InputBinding>>;
  /** Explicit runner; otherwise the compile profile's runner applies. */
  readonly runner?: RunnerSpec;
  /** What its pod needs when the runner is Kubernetes. */
  readonly pod?: PodNeedsSpec;
  readonly env: Readonly<Record<string, string>>;
}

export type BranchSource =
  | { readonly from: 'xcom'; readonly task: string; readonly path: readonly string[] }
  | { readonly from: 'param'; readonly name: string };

export interface BranchTaskSpec extends TaskSpecBase {
  readonly kind: 'branch';
  readonly on: BranchSource;
  /** Every value the source can take, when its schema says (an enum); else undefined. */
  readonly choices?: readonly string[];
  /** Decision value → full ids of the direct downstream tasks to follow. */
  readonly paths: Readonly<Record<string, readonly string[]>>;
}

export interface EmptyTaskSpec extends TaskSpecBase {
  readonly kind: 'empty';
}

/**
 * A TriggerDagRunOperator: starts a run of another DAG of the same project with a conf the
 * compiler checks against that DAG's params.
 */
export interface TriggerTaskSpec extends TaskSpecBase {
  readonly kind: 'trigger';
  readonly targetDagId: string;
  /** Where the target DAG was declared. */
  readonly targetSource?: SourceLocation;
  /** Conf key (a param of the target) → what fills it, rendered at run time. */
  readonly conf: Readonly<Record<string, InputBinding>>;
  readonly waitForCompletion: boolean;
  /** How often a waiting trigger checks the target run; only with waitForCompletion. */
  readonly pokeIntervalSeconds?: number;
}

export type TaskSpec = NodeTaskSpec | BranchTaskSpec | EmptyTaskSpec | TriggerTaskSpec;

export interface GroupSpec {
  readonly id: string;
  readonly localId: string;
  readonly parent?: string;
  readonly tooltip?: string;
  readonly source?: SourceLocation;
}

/** A task script run by the generated on_failure_callback when any task fails for good. */
export interface FailureHandlerSpec {
  readonly script: string;
  readonly scriptSource?: SourceLocation;
  readonly inputSchema: JsonSchema;
  /** Inputs other than `failure`: params and constants only (a callback has no XCom to pull). */
  readonly bindings: Readonly<Record<string, Extract<InputBinding, { from: 'param' | 'const' }>>>;
  readonly source?: SourceLocation;
}

/** A rule broken while the DAG was declared; validate() reports it with the graph's problems. */
export interface DefinitionProblem {
  /** An option of a call, or a DAG param (its name or default). */
  readonly about: 'option' | 'param';
  readonly message: string;
  readonly taskId?: string;
  readonly source?: SourceLocation;
  /** The offending option inside the options object of the call at `source` (its line is looked up). */
  readonly optionPath?: readonly (string | number)[];
}

export interface DagSpec {
  readonly dagId: string;
  readonly description?: string;
  readonly doc?: string;
  /** The default schedule; `scheduleEnv` may replace it where the DAG file is parsed. */
  readonly schedule: ScheduleSpec;
  /**
   * An environment variable read when Airflow parses the DAG file: set and not blank, its value (a
   * cron expression or a recurring preset) is the schedule instead of `schedule`, which then
   * repeats on a timetable (never none, `@once` or `@continuous`).
   */
  readonly scheduleEnv?: string;
  /** ISO 8601 UTC date-time. */
  readonly startDate: string;
  readonly catchup: boolean;
  readonly maxActiveRuns: number;
  readonly dagrunTimeoutSeconds?: number;
  readonly tags: readonly string[];
  readonly params: readonly ParamSpec[];
  readonly defaultArgs: DefaultArgsSpec;
  /** Named runners; the compile profile picks one for tasks without an explicit runner. */
  readonly profiles: Readonly<Record<string, RunnerSpec>>;
  readonly groups: readonly GroupSpec[];
  /** In declaration order. */
  readonly tasks: readonly TaskSpec[];
  readonly onFailure?: FailureHandlerSpec;
  readonly source?: SourceLocation;
  /** Option and param mistakes found while declaring; absent when there were none. */
  readonly problems?: readonly DefinitionProblem[];
}
