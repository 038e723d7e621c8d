import { z } from 'zod';
import { createObjectStore, joinUri, objectUriSchema } from '../data/object-store.ts';
import { prepareTrainingData } from '../data/prepare.ts';
import { manifestSchema, splitSpecSchema } from '../pipeline/contract/training.ts';
import { defineTask } from '../runtime/index.ts';

/** A run id as one safe path segment (`manual__2026-01-01T00:00:00+00:00` → `manual__2026-01-01T00-00-00-00-00`). */
function runDirectory(runId: string | undefined): string {
  return (runId ?? `manual__${new Date().toISOString()}`).replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/**
 * Reads the raw UCI diabetes CSV, validates and cleans it (origin conventions), splits it and
 * writes train/validation/test[/future].csv, features.json and manifest.json under output_uri.
 * With `batches` (arrived data, from the drift monitoring DAG's conf) it trains on the initial
 * set plus the batches and holds out the newest batch's last rows instead.
 * Bad data, a missing object and refused credentials fail without retries (exit 97);
 * S3 outages are retried inside the task, then by Airflow.
 */
export default defineTask({
  id: 'prepare-training-data',
  description: 'Validate, clean and split the raw readmission data into training files and a manifest.',
  input: z.object({
    source_uri: objectUriSchema.describe('The raw diabetic_data.csv (s3://… or file:///…)'),
    output_uri: objectUriSchema.describe('Prefix the split files and manifest.json are written under'),
    split: splitSpecSchema.optional().describe("Default: the origin project's unshuffled split"),
    per_run: z.boolean().default(false).describe('Write under <output_uri>/<run id>/ so runs never overwrite each other'),
    batches: z
      .array(objectUriSchema)
      .default([])
      .describe(
        'Raw batch CSVs that arrived since the origin split, oldest first. When given: train on the initial set of source_uri plus every batch, ' +
          'validate and test on the newest batch (split does not apply). Empty: the usual split of source_uri',
      ),
  }),
  output: manifestSchema,
  run: async (input, ctx) => {
    const outputUri = input.per_run ? joinUri(input.output_uri, runDirectory(ctx.runId)) : input.output_uri;
    return prepareTrainingData(
      { sourceUri: input.source_uri, outputUri, ...(input.split ? { split: input.split } : {}), batches: input.batches },
      { store: createObjectStore({ log: ctx.log }), log: ctx.log },
    );
  },
});
