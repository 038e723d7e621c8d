/**
 * The production model as a scorer: the registry's `production` version and its ONNX model,
 * found through the file tags register_and_promote_model writes on every version. The quality
 * gates score it beside the candidate; drift monitoring scores each arriving batch with it.
 */
import { loadRunModel } from '../evaluation/run-model.ts';
import type { Scorer } from '../evaluation/onnx-scorer.ts';
import type { MlflowClient, ModelVersion } from '../registry/index.ts';
import { productionVersion } from '../registry/promotion.ts';
import { NonRetryableError } from '../runtime/errors.ts';
import { MODEL_FILE_TAGS } from './outcome.ts';

export interface ProductionModel {
  readonly version: ModelVersion;
  /** The run the version was registered from (its artifacts hold the ONNX file). */
  readonly runId: string;
  readonly promotedAt: Date | null;
  /** Loads the ONNX model; the caller disposes the scorer. */
  load(): Promise<Scorer>;
}

/** The version `production` points at, undefined when there is none yet. */
export async function productionModel(client: MlflowClient, modelName: string): Promise<ProductionModel | undefined> {
  const production = await productionVersion(client, modelName);
  if (!production) return undefined;
  const { version } = production;
  const onnxPath = version.tags[MODEL_FILE_TAGS.onnx];
  const metadataPath = version.tags[MODEL_FILE_TAGS.metadata];
  if (!onnxPath || !metadataPath) {
    throw new NonRetryableError(
      `Production version ${version.version} of '${modelName}' has no ${MODEL_FILE_TAGS.onnx}/${MODEL_FILE_TAGS.metadata} tags, so its ONNX file cannot be found. Register production models with register_and_promote_model, or set those tags to the artifact paths inside run ${version.runId}.`,
    );
  }
  const runId = version.runId;
  if (!runId) throw new NonRetryableError(`Production version ${version.version} of '${modelName}' has no run id; its ONNX file cannot be found.`);
  return { version, runId, promotedAt: production.promotedAt, load: () => loadRunModel(client, { runId, onnxPath, metadataPath }) };
}
