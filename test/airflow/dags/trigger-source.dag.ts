/**
 * Starts test/airflow/dags/trigger-target.dag.ts with a conf made of an upstream task's output
 * fields, a param of this DAG and constants, one of them a string that looks like Jinja
 * (test/airflow/test_trigger_dag.py). Compiled into a temporary folder by the test, never into
 * generated/dags.
 */
import { z } from 'zod';
import { dag, param } from '../../../src/dsl/index.ts';
import prepare from '../../../examples/tasks/prepare-batch.ts';
import target from './trigger-target.dag.ts';

export default dag(
  'trigger_source_check',
  {
    schedule: null,
    startDate: '2024-01-01',
    maxActiveRuns: 1,
    defaultArgs: { retries: 0 },
    params: {
      rows: param(z.number().int().default(3), 'Rows of the batch, passed on to the target.'),
    },
  },
  (d) => {
    const batch = d.task(prepare, { id: 'batch', inputs: { message: 'batch', rows: d.params.rows } });
    d.trigger(target, {
      id: 'start_target',
      conf: {
        message: 'kept as written: {{ run_id }} {% if %} {# #}',
        rows: d.params.rows,
        characters: batch.field('characters'),
        thresholds: [0.5, 2, 10],
        settings: { mode: 'thorough', depth: 3 },
      },
    });
  },
);
