/**
 * Prepares the training data: read the raw CSV from the object store, validate, split, clean,
 * write `<output_uri>/{train,validation,test[,future]}.csv` (header = CLEAN_COLUMNS),
 * `features.json` (FEATURE_SPEC) and finally `manifest.json`; returns the manifest.
 *
 * Getting the real file: UCI dataset 296, "Diabetes 130-US Hospitals for Years 1999-2008"
 * (https://archive.ics.uci.edu/dataset/296, CC BY 4.0). The download is a zip holding
 * `dataset_diabetes/diabetic_data.csv` (101 766 rows, sha256 0689e7ec…df97); unzip it and
 * `aws s3 cp diabetic_data.csv s3://<bucket>/raw/diabetic_data.csv`, or pass it as file:///….
 * Without it, `health-predict data synth` writes a synthetic file with the same schema.
 *
 * Training on arrived data (`batches`, the raw batch CSVs arrivals.ts took, oldest first):
 * the origin initial set of the source plus every batch but the newest → train; the newest
 * batch → train / validation / test by position (split.ts `arrived`); no future file.
 *
 * Memory stays bounded whatever the file's size: each input is streamed twice (dataset.ts) and
 * the split files are built in a temporary local directory, then uploaded from disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { BadDataError, ConfigurationError } from '../runtime/errors.ts';
import { type PreparedDataset, prepareArrivedDataset, prepareDataset, type RawInput } from './dataset.ts';
import { FEATURES_FILE, MANIFEST_FILE, type Manifest, manifestSchema, type SplitFile, splitFileName } from './manifest.ts';
import { joinUri, type ObjectStore } from './object-store.ts';
import { FEATURE_SPEC } from './schema.ts';
import type { SplitSpec } from './split.ts';

export interface PrepareRequest {
  readonly sourceUri: string;
  readonly outputUri: string;
  readonly split?: SplitSpec;
  /** Raw batch CSVs that arrived since the origin split, oldest first; when given, `split` does not apply. */
  readonly batches?: readonly string[];
}

export interface PrepareDeps {
  readonly store: ObjectStore;
  readonly log: Pick<Logger, 'info'>;
  readonly now?: () => Date;
}

export async function prepareTrainingData(request: PrepareRequest, deps: PrepareDeps): Promise<Manifest> {
  const { store, log } = deps;
  const spec = request.split ?? { kind: 'origin' as const };
  if (request.batches?.length && spec.kind !== 'origin') {
    throw new ConfigurationError(
      `split is '${spec.kind}' but batches are given: training on arrived batches always validates and tests on the newest batch. ` +
        `Leave split unset (or origin) with batches, or drop batches to use the ${spec.kind} split.`,
    );
  }
  const started = performance.now();

  const workDir = await mkdtemp(path.join(tmpdir(), 'hp-prepare-'));
  try {
    let opened: { etag?: string; size: number } | undefined;
    const open = async () => {
      const object = await store.getStream(request.sourceUri);
      opened ??= object;
      return object.body;
    };
    const batches = request.batches ?? [];
    const dataset = batches.length
      ? await prepareArrivedDataset({ source: request.sourceUri, open }, await batchInputs(store, batches), workDir)
      : await prepareDataset(open, spec, request.sourceUri, workDir);
    const etag = opened?.etag;
    log.info({ uri: request.sourceUri, bytes: dataset.source.bytes, etag, sha256: dataset.source.sha256 }, `read ${dataset.source.bytes} bytes from ${request.sourceUri}`);
    if (dataset.split.kind === 'arrived') {
      const { reference, batches: arrived, newest } = dataset.split;
      log.info(
        { reference: reference.uri, initial_rows: reference.initial_rows, batches: arrived.map((b) => b.uri), newest },
        `training on the ${reference.initial_rows} initial rows of ${reference.uri} and ${arrived.length} arrived batch(es); ` +
          `validation and test are the newest batch's last ${newest.validation_rows + newest.test_rows} rows`,
      );
    }
    log.info(
      {
        rows_parsed: dataset.cleaning.rows_in,
        rows_dropped_excluded_discharge: dataset.cleaning.rows_dropped_excluded_discharge,
        rows_out: dataset.cleaning.rows_out,
        split: dataset.split.kind,
        ms: Math.round(performance.now() - started),
      },
      `parsed ${dataset.cleaning.rows_in} rows; dropped ${dataset.cleaning.rows_dropped_excluded_discharge} death/hospice rows; ${dataset.cleaning.rows_out} rows kept`,
    );

    const files: Partial<Record<string, SplitFile>> = {};
    for (const split of dataset.splits) {
      const uri = joinUri(request.outputUri, splitFileName(split.name));
      await store.putFile(uri, split.file.path, 'text/csv');
      const file: SplitFile = {
        uri,
        rows: split.rows,
        raw_rows: split.rawRows,
        positives: split.positives,
        positive_rate: split.rows ? split.positives / split.rows : 0,
        sha256: split.file.sha256,
        bytes: split.file.bytes,
      };
      files[split.name] = file;
      log.info({ split: split.name, uri, rows: file.rows, positives: file.positives, positive_rate: round(file.positive_rate), bytes: file.bytes }, `wrote ${split.name}: ${file.rows} rows to ${uri}`);
    }
    return await writeManifest(request, deps, { dataset, files, etag, started });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The batches as inputs, after checking that each exists (a missing one is named, not retried). */
async function batchInputs(store: ObjectStore, uris: readonly string[]): Promise<RawInput[]> {
  for (const [at, uri] of uris.entries()) {
    if (!(await store.exists(uri))) {
      throw new BadDataError(
        `batches[${at}] ${uri} does not exist. The batches to train on must be raw batch CSVs that arrived data was written to ` +
          `(<monitoring_uri>/batches/batch-NNNN.csv); pass the URIs the drift monitoring run recorded, or leave batches empty to train on the origin split.`,
      );
    }
  }
  return uris.map((uri) => ({ source: uri, open: async () => (await store.getStream(uri)).body }));
}

interface Written {
  readonly dataset: PreparedDataset;
  readonly files: Partial<Record<string, SplitFile>>;
  readonly etag: string | undefined;
  readonly started: number;
}

/** features.json, then manifest.json last (its presence means every other file is complete). */
async function writeManifest(request: PrepareRequest, { store, log, now }: PrepareDeps, { dataset, files, etag, started }: Written): Promise<Manifest> {
  const featuresUri = joinUri(request.outputUri, FEATURES_FILE);
  await store.put(featuresUri, `${JSON.stringify(FEATURE_SPEC, null, 2)}\n`, 'application/json');
  log.info({ uri: featuresUri }, `wrote the feature spec to ${featuresUri}`);

  const manifest = manifestSchema.parse({
    source: { uri: request.sourceUri, ...(etag ? { etag } : {}), sha256: dataset.source.sha256, bytes: dataset.source.bytes, rows: dataset.rawRows },
    output_uri: request.outputUri,
    split: dataset.split,
    files,
    features_uri: featuresUri,
    features: FEATURE_SPEC,
    cleaning: dataset.cleaning,
    created_at: (now?.() ?? new Date()).toISOString(),
  });
  const manifestUri = joinUri(request.outputUri, MANIFEST_FILE);
  await store.put(manifestUri, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
  log.info({ uri: manifestUri, ms: Math.round(performance.now() - started) }, `wrote the manifest to ${manifestUri}`);
  return manifest;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
