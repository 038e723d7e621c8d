/**
 * The service's configuration: environment variables (zod-validated, with defaults) and the
 * model directory baked into the image:
 *   MODEL_DIR/model.onnx       the exported pipeline
 *   MODEL_DIR/metadata.json    the trainer's metadata (threshold, features, input names)
 *   MODEL_DIR/model-info.json  {"name", "version", "run_id"} of the registered model version
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readModelMetadata, type ModelMetadata } from '../evaluation/onnx-scorer.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import type { ModelInfo } from './routes/model-info.ts';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();

export const serverEnvSchema = z.object({
  MODEL_DIR: z.string().min(1, 'MODEL_DIR must name the directory holding model.onnx, metadata.json and model-info.json'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  BATCH_LIMIT: positiveInt.default(1000),
  /** Most rows per ONNX run when concurrent requests are scored together. */
  MAX_BATCH_ROWS: positiveInt.default(256),
  /** onnxruntime intra-op threads; 1 leaves the other cores to the HTTP side. */
  INFERENCE_THREADS: positiveInt.default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Time between readiness turning 503 and the listener closing (let load balancers notice). */
  SHUTDOWN_DELAY_MS: nonNegativeInt.default(0),
  /** In-flight requests get this long to finish after a signal before the process exits 1. */
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
});
export type ServerEnv = z.infer<typeof serverEnvSchema>;

export const modelInfoSchema = z.looseObject({
  name: z.string().min(1),
  version: z.coerce.string().min(1),
  run_id: z.string().min(1),
});

/** The environment or the model directory is wrong: restarting cannot help. */
export class ServerConfigError extends ConfigurationError {}

export function loadServerEnv(env: Record<string, string | undefined> = process.env): ServerEnv {
  const result = serverEnvSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ServerConfigError(`Invalid environment for the prediction service: ${problems.join('; ')}.`);
}

export interface ModelFiles {
  readonly onnxPath: string;
  readonly metadata: ModelMetadata;
  readonly info: ModelInfo;
}

/** Reads and validates metadata.json and model-info.json; the ONNX file is loaded by the app. */
export async function readModelDir(dir: string): Promise<ModelFiles> {
  const metadata = await readModelMetadata(path.join(dir, 'metadata.json'));
  const infoPath = path.join(dir, 'model-info.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(infoPath, 'utf8'));
  } catch (error) {
    throw new ServerConfigError(`cannot read ${infoPath} (${(error as Error).message}); the image build must write {"name", "version", "run_id"} there`, { cause: error });
  }
  const info = modelInfoSchema.safeParse(json);
  if (!info.success) throw new ServerConfigError(`${infoPath} is invalid: ${z.prettifyError(info.error)}`);
  return { onnxPath: path.join(dir, 'model.onnx'), metadata, info: { name: info.data.name, version: info.data.version, run_id: info.data.run_id } };
}
