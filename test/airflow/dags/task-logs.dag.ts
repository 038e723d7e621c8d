/**
 * The DAG behind test/airflow/test_task_logs.py: one task per kind of log line the example
 * scripts write. `batch` logs an info line with fields and returns its output (the XCom);
 * `export` skips itself with a warning; `flaky` fails on its first (and, with no retries, only)
 * try with an ordinary error, which the runtime logs with its stack. Compiled into a temporary
 * folder by the test, never into generated/dags.
 */
import { dag } from '../../../src/dsl/index.ts';
import flaky from '../../../examples/tasks/flaky-step.ts';
import optionalExport from '../../../examples/tasks/optional-export.ts';
import prepare from '../../../examples/tasks/prepare-batch.ts';

export default dag('task_logs_check', { schedule: null, startDate: '2024-01-01', maxActiveRuns: 1, defaultArgs: { retries: 0 } }, (d) => {
  d.task(prepare, { id: 'batch', inputs: { message: 'héllo "world"', rows: 3 } });
  d.task(optionalExport, { id: 'export', inputs: { enabled: false } });
  d.task(flaky, { id: 'flaky', inputs: { message: 'once' } });
});
