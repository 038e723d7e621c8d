// A trigger's conf key that is not a param of the DAG it starts (a typo of raw_data_uri).
// expect: test/dsl-misuse/trigger-unknown-conf-key.dag.ts:9: Trigger 'trigger_misuse_trigger_target' conf key 'raw_data_url' is not a param of DAG 'misuse_trigger_target' (its params: 'raw_data_uri', 'rows'). Remove the key or fix its name. [trigger-conf]
import { dag } from '../../src/dsl/index.ts';
import target from './trigger-target.dag.ts';

export default dag('trigger_unknown_conf_key', { schedule: null, startDate: '2024-01-01' }, (d) => {
  d.trigger(target, {
    conf: {
      raw_data_url: 's3://bucket/new.csv',
    },
  });
});
