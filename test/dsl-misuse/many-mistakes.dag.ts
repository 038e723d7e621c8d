// Several independent mistakes: all reported in one run, each at its own line.
// expect: test/dsl-misuse/many-mistakes.dag.ts:13: DAG 'many_mistakes' option 'schedule' is '*/5 * * * 8', which Airflow's cron parser refuses: '8' is out of range for the day of week (0–7 or sun–sat). [invalid-option]
// expect: test/dsl-misuse/many-mistakes.dag.ts:15: DAG 'many_mistakes' param 'rows' has the default -1, which its own schema refuses: is -1, but must be ≥ 0. Airflow validates the default on every trigger; change the default or the schema. [invalid-param]
// expect: test/dsl-misuse/many-mistakes.dag.ts:18: The task id 'twice' is already used by a task in DAG 'many_mistakes'; ids must be unique after group prefixing. Give one of them another id. [duplicate-id]
// expect: test/dsl-misuse/many-mistakes.dag.ts:19: Task 'slow' option 'executionTimeout' is {"minutes":0}: it must be longer than zero (Airflow treats a zero timeout as no timeout and refuses a zero interval); write e.g. { minutes: 30 }, or leave the option out. [invalid-option]
// expect: test/dsl-misuse/many-mistakes.dag.ts:20: Task 'typo' has an unknown option 'triggerRul'. Did you mean 'triggerRule'? [invalid-option]
// expect: test/dsl-misuse/many-mistakes.dag.ts:21: Task 'prepare_batch' input 'rows' expects integer, but the constant "ten" does not fit: the value is "ten", expected integer. Change the binding or one of the two schemas. [xcom-contract]
import { z } from 'zod';
import { dag, param } from '../../src/dsl/index.ts';
import prepare from '../../examples/tasks/prepare-batch.ts';

export default dag('many_mistakes', {
  schedule: '*/5 * * * 8',
  startDate: '2024-01-01',
  params: { rows: param(z.number().int().nonnegative().default(-1)) },
}, (d) => {
  d.empty('twice');
  d.empty('twice');
  d.empty('slow', { executionTimeout: { minutes: 0 } });
  d.empty('typo', { triggerRul: 'all_done' } as never);
  d.task(prepare, { inputs: { message: 'hello', rows: 'ten' } } as never);
});
