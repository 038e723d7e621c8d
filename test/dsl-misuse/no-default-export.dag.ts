// A DAG file that declares its DAG but does not export it as the default.
// expect: test/dsl-misuse/no-default-export.dag.ts:1: a DAG source must 'export default dag(...)'; this one exports nothing by default. Put 'export default' before its dag(...) call.
import { dag } from '../../src/dsl/index.ts';

export const declared = dag('no_default_export', { schedule: null, startDate: '2024-01-01' }, (d) => {
  d.empty('only');
});
