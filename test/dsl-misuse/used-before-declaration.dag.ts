// A task used before its declaration (temporal dead zone).
// expect: test/dsl-misuse/used-before-declaration.dag.ts:6: 'first' is used before its declaration. Declare 'first' above this line (tasks must exist before they are listed in "after" or bound as inputs).
import { dag } from '../../src/dsl/index.ts';

export default dag('used_before_declaration', { schedule: null, startDate: '2024-01-01' }, (d) => {
  d.empty('second', { after: [first] });
  const first = d.empty('first');
});
