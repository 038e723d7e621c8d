/**
 * The misuse cases `tsc` catches before `dag build` runs (test/dsl-misuse/ has the ones only the
 * compiler can see). `npm run typecheck` fails if the DSL's types stop refusing these.
 */
import { dag } from '../src/dsl/index.ts';

// @ts-expect-error a misspelt DAG option (schedule is then missing too)
dag('misspelt_option', { shedule: '@daily', startDate: '2024-01-01' }, () => {});
// @ts-expect-error schedule is required: null for manual runs only
dag('no_schedule', { startDate: '2024-01-01' }, () => {});
// @ts-expect-error a start date is a string, not a Date or a number
dag('date_object', { schedule: null, startDate: new Date() }, () => {});
// @ts-expect-error a schedule is null, a string or { every: duration }, not a number of seconds
dag('numeric_schedule', { schedule: 3600, startDate: '2024-01-01' }, () => {});

dag('task_options', { schedule: null, startDate: '2024-01-01', defaultArgs: { retries: 1 } }, (d) => {
  // @ts-expect-error a misspelt task option
  d.empty('typo', { retires: 3 });
  // @ts-expect-error a duration is an object such as { minutes: 5 }, not a number
  d.empty('number_duration', { executionTimeout: 300 });
  // @ts-expect-error duration units are days, hours, minutes, seconds
  d.empty('bad_unit', { retryDelay: { mins: 5 } });
  // @ts-expect-error after lists tasks, groups or branch outcomes, not ids
  d.empty('by_id', { after: ['typo'] });
});
