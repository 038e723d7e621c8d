// A task id with a Cyrillic look-alike letter.
// expect: test/dsl-misuse/lookalike-id.dag.ts:6: Task id 'dеploy' breaks Airflow's id rule: only ASCII letters, digits, "_" and "-" (dots separate groups); it contains the non-ASCII character 'е' (U+0435). Rename it. [invalid-id]
import { dag } from '../../src/dsl/index.ts';

export default dag('lookalike_id', { schedule: null, startDate: '2024-01-01' }, (d) => {
  d.empty('dеploy');
});
