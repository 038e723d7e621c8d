import { z } from 'zod';
import { arrivedBatches, takeNextBatch } from '../data/arrivals.ts';
import { createObjectStore, objectUriSchema } from '../data/object-store.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { takenBatchSchema } from '../pipeline/contract/drift.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { productionVersion } from '../registry/promotion.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Takes the next batch of arriving rows and writes it under `<monitoring_uri>/batches/`. With
 * `arrivals_uri` empty, arrival is simulated: the raw file's held-back rows (after the first
 * 20 % the first model learnt from) in file order, `batch_size` rows per run; with a prefix,
 * each run takes the oldest file under it not taken yet. The cursor lives in
 * `<monitoring_uri>/cursor.json`; a retry of the same DAG run gets the same batch again.
 * Skipped, with the reason, when nothing new has arrived or no model is in production yet (then
 * no batch is taken, so none goes unmeasured).
 */
export default defineTask({
  id: 'take-next-batch',
  description: 'Drift monitoring: the next batch of arriving rows (held-back rows in order, or new files under a prefix).',
  input: z.object({
    raw_data_uri: objectUriSchema.describe("The raw file whose held-back rows arrive when arrivals_uri is empty"),
    arrivals_uri: objectUriSchema.nullable().default(null).describe('A prefix new raw CSV files arrive under; null: simulate from raw_data_uri'),
    batch_size: z.number().int().positive().describe('Raw rows per simulated batch'),
    monitoring_uri: objectUriSchema.describe('Where the cursor and the batches are kept'),
  }),
  output: takenBatchSchema,
  run: async ({ raw_data_uri, arrivals_uri, batch_size, monitoring_uri }, ctx) => {
    const { MODEL_NAME } = loadPipelineEnv();
    const production = await productionVersion(mlflowClientFromEnv(), MODEL_NAME);
    if (!production) {
      return ctx.skip(`No version of '${MODEL_NAME}' is in production yet, so there is nothing to measure drift against; no batch was taken. Run health_predict_continuous_improvement first.`);
    }
    const source = arrivals_uri ? { kind: 'prefix' as const, uri: arrivals_uri } : { kind: 'held_back' as const, raw_uri: raw_data_uri };
    const taken = await takeNextBatch({ store: createObjectStore({ log: ctx.log }), monitoringUri: monitoring_uri, source, batchSize: batch_size, dagRunId: ctx.origin.runId });
    if (taken.batch === null) return ctx.skip(taken.reason);
    const arrived = arrivedBatches(taken.cursor).map((batch) => batch.uri);
    ctx.log.info({ batch: taken.batch, batches_so_far: arrived.length }, `${taken.repeated ? 'took again (a retry of this DAG run)' : 'took'} batch ${taken.batch.index}: ${taken.batch.raw_rows} raw rows → ${taken.batch.uri}`);
    return { batch: taken.batch, source, arrived };
  },
});
