// skipUnlessSucceeded lists: empty, a task twice, a group instead of its tasks — reported together.
// expect: test/dsl-misuse/skip-unless-succeeded-list.dag.ts:11: Task 'guarded_by_nothing' option 'skipUnlessSucceeded' is an empty list; name at least one task, or leave the option out. [invalid-option]
// expect: test/dsl-misuse/skip-unless-succeeded-list.dag.ts:16: Task 'guarded_twice' option 'skipUnlessSucceeded[1]' is task 'first' again; list each task once. [invalid-option]
// expect: test/dsl-misuse/skip-unless-succeeded-list.dag.ts:18: Task 'guarded_by_group' option 'skipUnlessSucceeded[0]' is task group 'stage'; list the tasks of the group that must have succeeded. [invalid-option]
import { dag } from '../../src/dsl/index.ts';
import optionalExport from '../../examples/tasks/optional-export.ts';

export default dag('skip_unless_succeeded_list', { schedule: null, startDate: '2024-01-01' }, (d) => {
  const first = d.empty('first');
  const { group } = d.group('stage', { after: [first] }, (g) => g.empty('inner'));
  d.task(optionalExport, { id: 'guarded_by_nothing', after: [first], inputs: { enabled: true }, skipUnlessSucceeded: [] });
  d.task(optionalExport, {
    id: 'guarded_twice',
    after: [first],
    inputs: { enabled: true },
    skipUnlessSucceeded: [first, first],
  });
  d.task(optionalExport, { id: 'guarded_by_group', after: [group], inputs: { enabled: true }, skipUnlessSucceeded: [group] });
});
