// A DAG without tasks.
// expect: test/dsl-misuse/empty-dag.dag.ts:5: DAG 'empty_dag' declares no tasks, so every run would do nothing. Declare at least one task in its callback (d.task, d.branch, d.empty). [empty-dag]
import { dag } from '../../src/dsl/index.ts';

export default dag('empty_dag', { schedule: null, startDate: '2024-01-01' }, () => {
  // every task was removed
});
