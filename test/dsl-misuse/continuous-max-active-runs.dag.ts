// @continuous with more than one active run: Airflow refuses the DAG at import.
// expect: test/dsl-misuse/continuous-max-active-runs.dag.ts:8: DAG 'continuous_max_active_runs' has schedule '@continuous' with maxActiveRuns 3; Airflow's ContinuousTimetable allows at most 1 active run and refuses the DAG at import. Set maxActiveRuns: 1. [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('continuous_max_active_runs', {
  schedule: '@continuous',
  startDate: '2024-01-01',
  maxActiveRuns: 3,
}, (d) => {
  d.empty('only');
});
