/** Loads an ONNX model and its metadata from an MLflow run's artifacts into a scorer. */
import type { MlflowClient } from '../registry/index.ts';
import { createScorer, type Scorer } from './onnx-scorer.ts';

export interface RunModelRef {
  readonly runId: string;
  /** Artifact paths inside the run, e.g. `model/model.onnx` and `model/metadata.json`. */
  readonly onnxPath: string;
  readonly metadataPath: string;
}

export async function loadRunModel(client: MlflowClient, ref: RunModelRef): Promise<Scorer> {
  const [onnx, metadata] = await Promise.all([client.artifacts.download(ref.runId, ref.onnxPath), client.artifacts.download(ref.runId, ref.metadataPath)]);
  return createScorer(new Uint8Array(onnx), JSON.parse(metadata.toString('utf8')));
}
