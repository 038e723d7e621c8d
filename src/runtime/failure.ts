/**
 * What a DAG's failure handler receives (`d.onFailure(script, …)`): the generated
 * on_failure_callback fills `failure` from Airflow's context when a task has failed for good
 * (after its last retry) and runs the script with the rest of its inputs from params.
 */
import { z } from 'zod';

export const taskFailureSchema = z.object({
  dag_id: z.string(),
  task_id: z.string(),
  run_id: z.string(),
  try_number: z.number().int(),
  /** The exception's message, cut to a few kB by the callback. */
  error: z.string(),
  /** The DAG's runs before this one, newest first (a few), with their states: a repeated failure shows here. */
  previous_runs: z.array(z.object({ run_id: z.string(), state: z.string().nullable() })).default([]),
});
export type TaskFailure = z.infer<typeof taskFailureSchema>;

/** The input field the generated callback writes. */
export const FAILURE_INPUT_FIELD = 'failure';
