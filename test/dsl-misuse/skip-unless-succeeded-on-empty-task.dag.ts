// skipUnlessSucceeded on an EmptyOperator: Airflow marks it success without running the check.
// expect: test/dsl-misuse/skip-unless-succeeded-on-empty-task.dag.ts:7: Task 'cleanup' is an EmptyOperator, which Airflow marks success without running, so skipUnlessSucceeded would never be checked. Use it on a d.task() or d.branch(), or drop it. [skip-unless-succeeded]
import { dag } from '../../src/dsl/index.ts';

export default dag('skip_unless_succeeded_on_empty_task', { schedule: null, startDate: '2024-01-01' }, (d) => {
  const first = d.empty('first');
  d.empty('cleanup', { after: [first], triggerRule: 'all_done', skipUnlessSucceeded: [first] });
});
