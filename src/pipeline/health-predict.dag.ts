/**
 * The continuous-improvement DAG. Its tasks are added as their scripts become real; until
 * then it carries the agreed DAG configuration and params.
 */
import { dag } from '../dsl/index.ts';
import { pipelineParams } from './config.ts';

export default dag(
  'health_predict_continuous_improvement',
  {
    description: 'Train, gate against production, and deploy (or record why not) the readmission model.',
    schedule: null,
    startDate: '2024-01-01',
    catchup: false,
    maxActiveRuns: 1,
    tags: ['health-predict', 'mlops'],
    owner: 'health-predict',
    defaultArgs: { retries: 2, retryDelay: { minutes: 5 } },
    params: pipelineParams,
  },
  () => {},
);
