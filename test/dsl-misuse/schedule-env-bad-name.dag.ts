// A schedule override whose variable name no shell could set.
// expect: test/dsl-misuse/schedule-env-bad-name.dag.ts:8: DAG 'schedule_env_bad_name' option 'scheduleEnv' is 'DRIFT-SCHEDULE'; it must be an environment variable name: a letter or "_" followed by letters, digits or "_", e.g. 'HP_DRIFT_SCHEDULE'. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('schedule_env_bad_name', {
  schedule: '0 */3 * * *',
  startDate: '2024-01-01',
  scheduleEnv: 'DRIFT-SCHEDULE',
}, (d) => {
  d.empty('only');
});
