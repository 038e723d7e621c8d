// Param defaults that their own schema refuses: every default trigger fails.
// expect: test/dsl-misuse/param-default-violates-schema.dag.ts:11: DAG 'param_default_violates_schema' param 'rows' has the default 0, which its own schema refuses: is 0, but must be ≥ 1. Airflow validates the default on every trigger; change the default or the schema. [invalid-param]
// expect: test/dsl-misuse/param-default-violates-schema.dag.ts:12: DAG 'param_default_violates_schema' param 'mode' has the default 'fats', which its own schema refuses: is 'fats', but must be one of 'fast', 'slow'. Did you mean 'fast'? Airflow validates the default on every trigger; change the default or the schema. [invalid-param]
import { z } from 'zod';
import { dag, param } from '../../src/dsl/index.ts';

export default dag('param_default_violates_schema', {
  schedule: null,
  startDate: '2024-01-01',
  params: {
    rows: param(z.number().int().min(1).default(0), 'Rows to read'),
    mode: param(z.enum(['fast', 'slow']).default('fats' as 'fast')),
  },
}, (d) => {
  d.empty('only');
});
