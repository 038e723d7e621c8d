// A misspelt schedule preset.
// expect: test/dsl-misuse/schedule-preset-typo.dag.ts:6: DAG 'schedule_preset_typo' option 'schedule' is '@dialy', which is not one of Airflow's presets (@once, @continuous, @hourly, @daily, @weekly, @monthly, @quarterly, @yearly). Did you mean '@daily'? [invalid-option]
import { dag } from '../../src/dsl/index.ts';

export default dag('schedule_preset_typo', {
  schedule: '@dialy',
  startDate: '2024-01-01',
}, (d) => {
  d.empty('only');
});
