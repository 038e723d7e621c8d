/**
 * The continuous-improvement DAG. Tasks are added as their scripts become real: today data
 * preparation, training with HPO, and champion evaluation.
 */
import { dag } from '../dsl/index.ts';
import evaluateModelPerformance from '../tasks/evaluate-model-performance.ts';
import prepareTrainingData from '../tasks/prepare-training-data.ts';
import runTrainingAndHpo from '../tasks/run-training-and-hpo.ts';
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
    profiles: {
      local: { kind: 'bash' },
      // One image holding Node, the task bundles and the ML environment (built by a later issue).
      cluster: {
        kind: 'kubernetes',
        image: 'health-predict-tasks:latest',
        namespace: 'health-predict',
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } },
      },
    },
  },
  (d) => {
    const prepare = d.task(prepareTrainingData, {
      inputs: { source_uri: d.params.raw_data_uri, output_uri: d.params.prepared_data_uri, per_run: true },
    });
    const train = d.task(runTrainingAndHpo, { inputs: { manifest: prepare.output }, executionTimeout: { hours: 2 } });
    d.task(evaluateModelPerformance, { inputs: { training: train.output, manifest: prepare.output } });
  },
);
