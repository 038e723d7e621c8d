import { z } from 'zod';
import { requestRecord } from '../api-checks/records.ts';
import { runApiSuite } from '../api-checks/suite.ts';
import { createObjectStore } from '../data/object-store.ts';
import { readSplitRows } from '../data/read-split.ts';
import { loadRunModel } from '../evaluation/run-model.ts';
import { connectDocker, withContainer } from '../images/index.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { gateOutcomeSchema } from '../pipeline/contract/gates.ts';
import { apiTestResultSchema, imageBuildSchema } from '../pipeline/contract/release.ts';
import { manifestSchema } from '../pipeline/contract/training.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { NonRetryableError, TaskError, defineTask } from '../runtime/index.ts';

const SAMPLE_ROWS = 8;

/**
 * Runs the new image on this machine (host network, free port), waits for /ready and runs
 * the API suite: predictions must equal the evaluated model's on held-out rows, and the p95
 * latency must stay within API_TEST_P95_MS. The whole test (start included) has API_TEST_TIMEOUT
 * seconds; checks hit by a refused or reset connection are rerun up to API_TEST_RETRIES times.
 * The container is always removed. `skip_api_tests` (emergencies only) skips with a warning.
 */
export default defineTask({
  id: 'test-api-locally',
  description: 'Container test of the new image: health, readiness, predictions, error classes, version, p95 latency.',
  input: z.object({ image: imageBuildSchema, outcome: gateOutcomeSchema, manifest: manifestSchema, skip_api_tests: z.boolean().default(false) }),
  output: apiTestResultSchema,
  run: async ({ image, outcome, manifest, skip_api_tests }, ctx) => {
    if (skip_api_tests) {
      ctx.log.warn({ image: image.image }, 'skip_api_tests is set: the new image goes on WITHOUT its local API test (emergency deployments only)');
      ctx.skip('skip_api_tests was set for this run');
    }
    const env = loadPipelineEnv();
    const deadline = AbortSignal.timeout(env.API_TEST_TIMEOUT * 1000);
    const startedAt = Date.now();
    const rows = (await readSplitRows(createObjectStore({ log: ctx.log }), manifest.files.test)).slice(0, SAMPLE_ROWS);
    const { candidate } = outcome;
    const scorer = await loadRunModel(mlflowClientFromEnv(), { runId: candidate.run_id, onnxPath: candidate.onnx_path, metadataPath: candidate.metadata_path });
    const probabilities = Array.from(await scorer.score(rows).finally(() => scorer.dispose()));
    const readyTimeoutMs = Math.max(1_000, env.API_TEST_TIMEOUT * 1000 - (Date.now() - startedAt));
    const result = await withContainer({ docker: connectDocker(), image: image.image, log: ctx.log, readyTimeoutMs }, async (container) => {
      ctx.log.info({ container: container.name, url: container.baseUrl }, 'container ready; running the API suite');
      const suite = await runApiSuite({
        baseUrl: container.baseUrl,
        expected: { name: image.model_name, version: image.model_version },
        records: rows.map(requestRecord),
        probabilities,
        p95BudgetMs: env.API_TEST_P95_MS,
        retries: env.API_TEST_RETRIES,
        signal: deadline,
      });
      if (!suite.passed) ctx.log.error({ logs: await container.logs(40) }, 'container logs');
      return suite;
    });
    for (const check of result.checks) ctx.log[check.passed ? 'info' : 'error']({ check: check.name, passed: check.passed }, check.detail);
    ctx.log.info(result.latency, 'latency baseline');
    if (deadline.aborted) {
      throw new TaskError(`The local API test of ${image.image} did not finish within API_TEST_TIMEOUT=${env.API_TEST_TIMEOUT} s; nothing was pushed.`, true);
    }
    if (!result.passed) {
      const failed = result.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      throw new NonRetryableError(`The image ${image.image} failed its local API test; nothing was pushed and production is unchanged. ${failed.join('; ')}`);
    }
    return { ...result, image: image.image };
  },
});
