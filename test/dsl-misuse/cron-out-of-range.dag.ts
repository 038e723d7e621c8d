// A cron field outside croniter's range (hour 24): Airflow refuses the DAG at import.
// expect: test/dsl-misuse/cron-out-of-range.dag.ts:6: DAG 'cron_out_of_range' option 'schedule' is '0 24 * * *', which Airflow's cron parser refuses: '24' is out of range for the hour (0–23). [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('cron_out_of_range', {
  schedule: '0 24 * * *',
  startDate: '2024-01-01',
}, (d) => {
  d.empty('only');
});
