// A param without default on a scheduled DAG: Airflow refuses the DAG at import.
// expect: test/dsl-misuse/param-without-default.dag.ts:10: DAG 'param_without_default' param 'bucket' has no default, so a run triggered without conf fails in Airflow ("No value passed and Param has no default value"), and a scheduled DAG is refused at import. Give it one: param(schema.default(…)). [invalid-param]
import { z } from 'zod';
import { dag, param } from '../../src/dsl/index.ts';

export default dag('param_without_default', {
  schedule: '@daily',
  startDate: '2024-01-01',
  params: {
    bucket: param(z.string()),
  },
}, (d) => {
  d.empty('only');
});
