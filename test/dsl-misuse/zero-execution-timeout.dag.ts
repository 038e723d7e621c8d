// Zero timeouts: Airflow reads a zero timedelta as no timeout at all.
// expect: test/dsl-misuse/zero-execution-timeout.dag.ts:9: DAG 'zero_execution_timeout' option 'dagrunTimeout' is {"minutes":0}: it must be longer than zero (Airflow treats a zero timeout as no timeout and refuses a zero interval); write e.g. { minutes: 30 }, or leave the option out. [invalid-option]
// expect: test/dsl-misuse/zero-execution-timeout.dag.ts:12: Task 'slow' option 'executionTimeout' is {"seconds":0}: it must be longer than zero (Airflow treats a zero timeout as no timeout and refuses a zero interval); write e.g. { minutes: 30 }, or leave the option out. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('zero_execution_timeout', {
  schedule: null,
  startDate: '2024-01-01',
  dagrunTimeout: { minutes: 0 },
}, (d) => {
  d.empty('slow', {
    executionTimeout: { seconds: 0 },
  });
});
