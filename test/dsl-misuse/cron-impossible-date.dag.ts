// A cron date that never occurs: croniter accepts it, the scheduler then fails to find a next run.
// expect: test/dsl-misuse/cron-impossible-date.dag.ts:6: DAG 'cron_impossible_date' option 'schedule' is '0 0 31 2 *', which Airflow's cron parser refuses: day 31 never occurs in month 2, so Airflow could never compute a next run. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('cron_impossible_date', {
  schedule: '0 0 31 2 *',
  startDate: '2024-01-01',
}, (d) => {
  d.empty('only');
});
