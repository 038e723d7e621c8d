// A trigger's conf values of the wrong type: an upstream output field and a constant.
// expect: test/dsl-misuse/trigger-conf-wrong-type.dag.ts:13: Trigger 'start_improvement' conf 'raw_data_uri': param 'raw_data_uri' of DAG 'misuse_trigger_target' is string, but task 'prepare_batch' field 'rows' does not fit: the value is integer, expected string. Change the value or the param's schema. [trigger-conf]
// expect: test/dsl-misuse/trigger-conf-wrong-type.dag.ts:14: Trigger 'start_improvement' conf 'rows': param 'rows' of DAG 'misuse_trigger_target' is integer, but the constant "100" does not fit: the value is "100", expected integer. Change the value or the param's schema. [trigger-conf]
import { dag } from '../../src/dsl/index.ts';
import prepare from '../../examples/tasks/prepare-batch.ts';
import target from './trigger-target.dag.ts';

export default dag('trigger_conf_wrong_type', { schedule: null, startDate: '2024-01-01' }, (d) => {
  const batch = d.task(prepare, { inputs: { message: 'new batch', rows: 10 } });
  d.trigger(target, {
    id: 'start_improvement',
    conf: {
      raw_data_uri: batch.field('rows'),
      rows: '100',
    },
  });
});
