// An import of a name the DSL does not export.
// expect: test/dsl-misuse/unknown-named-import.dag.ts:3: '../../src/dsl/index.ts' has no export named 'task'. Import one of the names it exports (a default export is imported without braces).
import { dag, task } from '../../src/dsl/index.ts';

export default dag('unknown_named_import', { schedule: null, startDate: '2024-01-01' }, (d) => {
  task(d);
});
