// No start date.
// expect: test/dsl-misuse/start-date-missing.dag.ts:5: DAG 'start_date_missing' option 'startDate' is required: a date, 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ' (UTC), e.g. '2024-01-01'. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('start_date_missing', {
  schedule: null,
} as never, (d) => {
  d.empty('only');
});
