// A syntax error in the DAG file.
// expect: test/dsl-misuse/syntax-error.dag.ts:7: syntax error: Expected "]" but found "}". Fix the TypeScript syntax on that line (a missing bracket or comma is usual).
import { dag } from '../../src/dsl/index.ts';

export default dag('syntax_error', { schedule: null, startDate: '2024-01-01' }, (d) => {
  const first = d.empty('first');
  d.empty('second', { after: [first });
});
