// A misspelt duration unit.
// expect: test/dsl-misuse/unknown-duration-key.dag.ts:10: DAG 'unknown_duration_key' has an unknown option 'defaultArgs.retryDelay.minute'. Did you mean 'minutes'? [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('unknown_duration_key', {
  schedule: null,
  startDate: '2024-01-01',
  defaultArgs: {
    retries: 2,
    retryDelay: { minute: 5 },
  },
} as never, (d) => {
  d.empty('only');
});
