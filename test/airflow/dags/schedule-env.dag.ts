/**
 * A DAG whose schedule the deployment may override (test/airflow/test_schedule_env.py): every 3
 * hours by default, or what HP_SCHEDULE_ENV_CHECK says where Airflow parses the file. Compiled
 * into a temporary folder by the test, never into generated/dags.
 */
import { dag } from '../../../src/dsl/index.ts';

export default dag(
  'schedule_env_check',
  {
    schedule: { every: { hours: 3 } },
    scheduleEnv: 'HP_SCHEDULE_ENV_CHECK',
    startDate: '2024-01-01',
    maxActiveRuns: 1,
  },
  (d) => {
    d.empty('only');
  },
);
