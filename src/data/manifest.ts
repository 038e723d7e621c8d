/**
 * The manifest of a prepared data set: written as `<output_uri>/manifest.json` (last, so its
 * presence means every other file is complete) and returned as the XCom of
 * `prepare-training-data`. Downstream tasks read split URIs, hashes and the feature spec from it.
 */
import { z } from 'zod';
import { splitDescriptionSchema } from './split.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const count = z.number().int().nonnegative();

export const featureSpecSchema = z.object({
  numeric: z.array(z.string()),
  categorical: z.array(z.string()),
  target: z.string(),
});

export const splitFileSchema = z.object({
  uri: z.string(),
  /** Rows after cleaning (data rows, header excluded). */
  rows: count,
  /** Raw rows assigned to this split before cleaning. */
  raw_rows: count,
  positives: count,
  positive_rate: z.number().min(0).max(1),
  sha256,
  bytes: count,
});
export type SplitFile = z.infer<typeof splitFileSchema>;

export const manifestSchema = z.object({
  source: z.object({
    uri: z.string(),
    etag: z.string().optional(),
    sha256,
    bytes: count,
    /** Raw data rows (header excluded). */
    rows: count,
  }),
  output_uri: z.string(),
  split: splitDescriptionSchema,
  files: z.object({
    train: splitFileSchema,
    validation: splitFileSchema,
    test: splitFileSchema,
    /** Only for the origin split: the 80 % kept for later batches / drift. */
    future: splitFileSchema.optional(),
  }),
  features_uri: z.string(),
  features: featureSpecSchema,
  cleaning: z.object({
    rows_in: count,
    rows_dropped_excluded_discharge: count,
    rows_out: count,
  }),
  created_at: z.iso.datetime(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const MANIFEST_FILE = 'manifest.json';
export const FEATURES_FILE = 'features.json';
export const splitFileName = (name: string) => `${name}.csv`;
