/**
 * The contract between a compiled DAG and a task script. The compiler writes these names
 * into the generated Python; the runtime reads them. Change both sides together.
 */
export const EXIT_OK = 0;
/** Airflow's default `skip_on_exit_code`; the compiler sets it on KubernetesPodOperator too. */
export const EXIT_SKIP = 99;
/** Fails the task without using up retries (bad data, refused credentials, a task bug). */
export const EXIT_NON_RETRYABLE = 97;
/** Any other non-zero exit (1 for an uncaught error) fails and is retried per default_args. */
export const EXIT_RETRYABLE = 1;

export const ENV = {
  dagId: 'HP_DAG_ID',
  taskId: 'HP_TASK_ID',
  runId: 'HP_RUN_ID',
  tryNumber: 'HP_TRY_NUMBER',
  /** Static JSON: input field → where its value comes from (see InputBinding). */
  bindings: 'HP_BINDINGS',
  /** Prefix of one variable per bound input field, holding the source value as JSON. */
  inputPrefix: 'HP_INPUT__',
  /** The whole input object as JSON; used by `task run` outside Airflow (bindings ignored). */
  input: 'HP_INPUT',
  /** When set, the output JSON goes to this file (KubernetesPodOperator's xcom sidecar). */
  xcomFile: 'HP_XCOM_FILE',
  /** Directory holding the task bundles (`<script>.mjs`). */
  tasksDir: 'HP_TASKS_DIR',
} as const;

export const KPO_XCOM_FILE = '/airflow/xcom/return.json';

/** Where one input field of a task gets its value. */
export type InputBinding =
  | { readonly from: 'xcom'; readonly task: string; readonly path: readonly string[] }
  | { readonly from: 'param'; readonly name: string }
  | { readonly from: 'const'; readonly value: unknown };
