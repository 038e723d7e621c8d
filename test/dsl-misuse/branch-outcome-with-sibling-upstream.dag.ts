// A task on one branch outcome that also waits for a task of another outcome: it never runs.
// expect: test/dsl-misuse/branch-outcome-with-sibling-upstream.dag.ts:13: Task 'deploy' follows outcome 'deploy' of branch 'decide', but for that outcome its upstream 'record_skip' is skipped, so with trigger rule 'all_success' it never runs when it should. Drop the dependency on 'record_skip', or follow the outcomes they run for. [unreachable-task]
import { z } from 'zod';
import { dag, param } from '../../src/dsl/index.ts';

export default dag('branch_outcome_with_sibling_upstream', {
  schedule: null,
  startDate: '2024-01-01',
  params: { route: param(z.enum(['deploy', 'skip']).default('deploy')) },
}, (d) => {
  const decide = d.branch('decide', { on: d.params.route });
  const skip = d.empty('record_skip', { after: [decide.when('skip')] });
  d.empty('deploy', { after: [decide.when('deploy'), skip] });
});
