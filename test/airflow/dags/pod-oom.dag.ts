/**
 * The DAG behind test_cluster_profile.py's OOM test: one task whose pod may use less memory than
 * Node needs to start, so the kernel kills it (OOMKilled, exit 137) on every try. Under the
 * cluster profile that is an ordinary failure — retried, unlike exit 97 — and the task ends
 * failed once its retry is used up. Compiled into a temporary folder by the test.
 */
import { dag } from '../../../src/dsl/index.ts';
import prepare from '../../../examples/tasks/prepare-batch.ts';

export default dag(
  'pod_oom_check',
  {
    schedule: null,
    startDate: '2024-01-01',
    maxActiveRuns: 1,
    defaultArgs: { retries: 1, retryDelay: { seconds: 1 } },
    profiles: {
      local: { kind: 'bash' },
      cluster: {
        kind: 'kubernetes',
        image: 'health-predict-tasks:latest',
        namespace: 'health-predict',
        resources: { limits: { memory: '32Mi' } },
        imagePullSecrets: ['health-predict-registry'],
      },
    },
  },
  (d) => {
    d.task(prepare, { id: 'starved', inputs: { message: 'no room', rows: 1 } });
  },
);
