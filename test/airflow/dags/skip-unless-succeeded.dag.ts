/**
 * The DAG behind test/airflow/test_skip_unless_succeeded.py: `cleanup` fires on any failure
 * after `release.named` (trigger rule one_failed, which counts upstream_failed too) but acts only
 * when `release.named` succeeded in the run. A negative `first_rows` fails the first task, so
 * `release.named` is upstream_failed and cleanup must skip; a negative `other_rows` fails a task
 * after it, so cleanup must run. Compiled into a temporary folder by the test, never into
 * generated/dags.
 */
import { z } from 'zod';
import { dag, param } from '../../../src/dsl/index.ts';
import optionalExport from '../../../examples/tasks/optional-export.ts';
import prepare from '../../../examples/tasks/prepare-batch.ts';

export default dag(
  'skip_unless_succeeded_check',
  {
    schedule: null,
    startDate: '2024-01-01',
    maxActiveRuns: 1,
    defaultArgs: { retries: 0 },
    params: {
      first_rows: param(z.number().int().default(1), 'Negative: the first task fails (non-retryable).'),
      other_rows: param(z.number().int().default(1), 'Negative: the task after release.named fails.'),
    },
  },
  (d) => {
    const first = d.task(prepare, { id: 'first', inputs: { message: 'first', rows: d.params.first_rows } });
    const { tasks: named } = d.group('release', {}, (g) => g.task(prepare, { id: 'named', after: [first], inputs: { message: 'named', rows: 1 } }));
    const other = d.task(prepare, { id: 'other', after: [named], inputs: { message: 'other', rows: d.params.other_rows } });
    d.task(optionalExport, { id: 'cleanup', after: [other], inputs: { enabled: true }, triggerRule: 'one_failed', skipUnlessSucceeded: [named] });
  },
);
