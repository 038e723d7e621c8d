// skipUnlessSucceeded names a task that is not upstream: its state may not be final yet.
// expect: test/dsl-misuse/skip-unless-succeeded-not-upstream.dag.ts:14: Task 'rollback' lists 'promote' in skipUnlessSucceeded, but 'promote' is not upstream of it, so its state may not be final when 'rollback' is about to run. Make 'rollback' depend on it (after: [promote]) or drop it from the list. [skip-unless-succeeded]
import { dag } from '../../src/dsl/index.ts';
import optionalExport from '../../examples/tasks/optional-export.ts';

export default dag('skip_unless_succeeded_not_upstream', { schedule: null, startDate: '2024-01-01' }, (d) => {
  const promote = d.empty('promote');
  const deploy = d.empty('deploy');
  d.task(optionalExport, {
    id: 'rollback',
    after: [deploy],
    inputs: { enabled: true },
    triggerRule: 'one_failed',
    skipUnlessSucceeded: [promote],
  });
});
