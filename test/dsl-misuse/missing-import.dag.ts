// An import of a file that does not exist.
// expect: test/dsl-misuse/missing-import.dag.ts:4: cannot import '../../examples/tasks/prepare-batchs.ts' (examples/tasks/prepare-batchs.ts): no such file or package. Check the path (relative to the importing file, with its .ts extension) or install the package.
import { dag } from '../../src/dsl/index.ts';
import prepare from '../../examples/tasks/prepare-batchs.ts';

export default dag('missing_import', { schedule: null, startDate: '2024-01-01' }, (d) => {
  d.task(prepare, { inputs: { message: 'x', rows: 1 } });
});
