// A misspelt DAG option: one message, not also "schedule is required".
// expect: test/dsl-misuse/misspelt-dag-option.dag.ts:6: DAG 'misspelt_dag_option' has an unknown option 'shedule'. Did you mean 'schedule'? [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('misspelt_dag_option', {
  shedule: '@daily',
  startDate: '2024-01-01',
} as never, (d) => {
  d.empty('only');
});
