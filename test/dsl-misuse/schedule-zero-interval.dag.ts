// A zero interval schedule: Airflow refuses it ("schedule interval must be positive").
// expect: test/dsl-misuse/schedule-zero-interval.dag.ts:6: DAG 'schedule_zero_interval' option 'schedule' is {"every":{"hours":0}}: 'every' must be a duration longer than zero, an object such as { hours: 6 } with any of days, hours, minutes, seconds. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('schedule_zero_interval', {
  schedule: { every: { hours: 0 } },
  startDate: '2024-01-01',
}, (d) => {
  d.empty('only');
});
