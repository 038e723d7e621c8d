// A schedule override on a DAG that is only ever triggered: there is no timetable to replace.
// expect: test/dsl-misuse/schedule-env-without-schedule.dag.ts:8: DAG 'schedule_env_without_schedule' option 'scheduleEnv' would replace schedule null, but a DAG without a schedule runs only when triggered, and scheduling it is a decision for its source (start date, catchup, params), not for its deployment. Give the DAG a recurring default schedule for the variable to override (a cron string, a preset such as '@daily', or { every: … }), or leave scheduleEnv out. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('schedule_env_without_schedule', {
  schedule: null,
  startDate: '2024-01-01',
  scheduleEnv: 'HP_ROLLBACK_SCHEDULE',
}, (d) => {
  d.empty('only');
});
