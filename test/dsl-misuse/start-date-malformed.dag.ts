// A start date in a format Airflow does not read.
// expect: test/dsl-misuse/start-date-malformed.dag.ts:7: DAG 'start_date_malformed' option 'startDate' is '01/02/2024': it must be 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ' (UTC), e.g. '2024-01-01'. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('start_date_malformed', {
  schedule: null,
  startDate: '01/02/2024',
}, (d) => {
  d.empty('only');
});
