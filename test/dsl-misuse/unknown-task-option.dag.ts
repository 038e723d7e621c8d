// A misspelt task option, reported at its own line.
// expect: test/dsl-misuse/unknown-task-option.dag.ts:8: Task 'flaky' has an unknown option 'retires'. Did you mean 'retries'? [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('unknown_task_option', { schedule: null, startDate: '2024-01-01' }, (d) => {
  d.empty('flaky', {
    triggerRule: 'all_done',
    retires: 3,
  } as never);
});
