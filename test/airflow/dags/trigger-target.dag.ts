/**
 * The DAG test/airflow/dags/trigger-source.dag.ts starts (test/airflow/test_trigger_dag.py): its
 * params take a string, an integer, a list of numbers and an object, so the test can see each
 * arrive in the triggered run's conf with its JSON type. Compiled into a temporary folder by the
 * test, never into generated/dags.
 */
import { z } from 'zod';
import { dag, param } from '../../../src/dsl/index.ts';

export default dag(
  'trigger_target_check',
  {
    schedule: null,
    startDate: '2024-01-01',
    maxActiveRuns: 1,
    defaultArgs: { retries: 0 },
    params: {
      message: param(z.string().default('none'), 'Text from the triggering run.'),
      rows: param(z.number().int().default(0), 'A row count from the triggering run.'),
      characters: param(z.number().int().default(0), 'An upstream output field of the triggering run.'),
      thresholds: param(z.array(z.number()).default([]), 'A list that must stay a list.'),
      settings: param(z.object({ mode: z.enum(['fast', 'thorough']), depth: z.number().int() }).default({ mode: 'fast', depth: 1 }), 'An object that must stay an object.'),
      label: param(z.string().default('unchanged'), 'Not in the conf: keeps its default.'),
    },
  },
  (d) => {
    d.empty('received');
  },
);
