/**
 * Builds the API image with dockerode from deploy/api/Dockerfile and an assembled context,
 * tagged `v{model_version}-{UTC yyyymmddHHMMSS}` and labelled with the model it serves.
 * The builder's output goes to the logger line by line; an `error`/`errorDetail` in ANY event
 * fails the build with the builder's own message.
 *
 * BuildKit (API `version=2`, a session over dockerode): the classic builder runs a container
 * per metadata instruction, which on the vfs storage driver copies the whole image each time
 * (~150 s per build here, against ~10 s with BuildKit). `buildFromContext` is that build for any
 * assembled context (the task image's too).
 */
import type Docker from 'dockerode';
import { z } from 'zod';
import { assembleApiContext, type BuildContext } from './context.ts';
import { classifyDockerError, daemonMessage, ensureDaemon, type ImageLog, isUnreachable, silentLog } from './docker.ts';
import { BuildNetworkError, DockerUnavailableError, ImageBuildError } from './errors.ts';
import { type DockerEvent, followJsonStream } from './json-stream.ts';

export const DEFAULT_IMAGE_REPOSITORY = 'health-predict-api';

export const modelRefSchema = z.object({
  name: z.string().min(1),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z._-]*$/, 'a model version usable in an image tag (letters, digits, . _ -)'),
  runId: z.string().min(1),
  /** Directory with model.onnx, metadata.json, model-info.json. */
  dir: z.string().min(1),
});
export type ModelRef = z.infer<typeof modelRefSchema>;

export interface BuildApiImageOptions {
  docker: Docker;
  model: ModelRef;
  /** Local image name (default health-predict-api). */
  repository?: string;
  /** BASE_IMAGE build argument; default: the Dockerfile's (node:20-bookworm-slim). */
  baseImage?: string;
  /** Prebuilt API directory (server.mjs…); default: bundleApi(). */
  appDir?: string;
  dockerfile?: string;
  /** Build time, for the tag (default now). */
  now?: Date;
  log?: ImageLog;
}

export interface BuiltImage {
  imageId: string;
  /** `<repository>:<tag>`. */
  reference: string;
  repository: string;
  tag: string;
  labels: Record<string, string>;
  contextBytes: number;
  ms: number;
}

/** `v{model_version}-{yyyymmddHHMMSS}` in UTC, e.g. v3-20260131235959. */
export function imageTag(modelVersion: string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `v${modelVersion}-${stamp}`;
}

/** Labels every API image carries (the Dockerfile sets the model ones too, from build args). */
export function imageLabels(model: ModelRef, at: Date): Record<string, string> {
  return {
    'org.opencontainers.image.created': at.toISOString(),
    'health-predict.model.name': model.name,
    'health-predict.model.version': model.version,
    'health-predict.model.run-id': model.runId,
  };
}

/** Logs the builder's progress line by line (BuildKit repeats a step's line while it runs: once is enough). */
function progressLogger(log: ImageLog, reference: string): (event: DockerEvent) => void {
  let last = '';
  const emit = (text: string, fields: object) => {
    if (!text || text === last) return;
    last = text;
    log.info({ image: reference, ...fields }, text);
  };
  return (event) => {
    for (const line of (event.stream ?? '').split('\n')) emit(line.trim(), {});
    if (event.status) emit(event.status, { id: event.id });
  };
}

/** Builder failures that are about reaching a registry (pulling the base image), not about the Dockerfile. */
const NETWORK_FAILURE = /dial tcp|i\/o timeout|TLS handshake timeout|connection reset|connection refused|no such host|temporary failure in name resolution|toomanyrequests|503 Service Unavailable|502 Bad Gateway/i;

function buildFailure(reference: string, builderMessage: string, source: BuildSource): Error {
  const where = `(Dockerfile ${source.dockerfile}, base image ${source.baseImage ?? 'the Dockerfile default'})`;
  if (NETWORK_FAILURE.test(builderMessage)) {
    return new BuildNetworkError(`docker build of ${reference} could not reach a registry: ${builderMessage} ${where}. Retrying may help; offline, pass a local BASE_IMAGE.`, builderMessage);
  }
  return new ImageBuildError(`docker build of ${reference} failed: ${builderMessage} ${where}.`, builderMessage);
}

/** Where a build came from, for its error messages. */
export interface BuildSource {
  dockerfile: string;
  /** BASE_IMAGE build argument; undefined: the Dockerfile's default. */
  baseImage?: string;
}

export interface ContextBuild {
  docker: Docker;
  /** An assembled context: its directory and top-level entries (the Dockerfile at its root). */
  context: Pick<BuildContext, 'dir' | 'entries'>;
  /** `<repository>:<tag>` the image gets. */
  reference: string;
  /** Build arguments besides BASE_IMAGE (which comes from `source`). */
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  source: BuildSource;
  /**
   * The network RUN steps use; `host` where they download packages and the daemon has no bridge
   * network (the local stack's dockerd runs with --bridge=none). Default: the daemon's.
   */
  networkMode?: 'host' | 'none' | 'default';
  log: ImageLog;
}

/**
 * Runs one BuildKit build of an assembled context and resolves with the image id. Progress goes
 * to the logger line by line; an unreachable daemon is DockerUnavailableError, a failed build
 * ImageBuildError (or BuildNetworkError when the builder could not reach a registry).
 */
export async function buildFromContext(build: ContextBuild): Promise<string> {
  const { docker, context, reference, source, log } = build;
  const buildargs: Record<string, string> = { ...build.buildargs };
  if (source.baseImage) buildargs.BASE_IMAGE = source.baseImage;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage({ context: context.dir, src: context.entries }, { t: reference, buildargs, labels: build.labels ?? {}, version: '2', ...(build.networkMode ? { networkmode: build.networkMode } : {}) });
  } catch (error) {
    if (isUnreachable(error)) throw classifyDockerError(error, `building ${reference}`, docker);
    throw buildFailure(reference, daemonMessage(error).trim(), source);
  }
  let result;
  try {
    result = await followJsonStream(stream, progressLogger(log, reference));
  } catch (error) {
    throw new DockerUnavailableError(`The connection to the Docker daemon broke while building ${reference}: ${(error as Error).message}. Retry the build.`, { cause: error });
  }
  if (result.error) throw buildFailure(reference, result.error.trim(), source);
  try {
    return (await docker.getImage(reference).inspect()).Id;
  } catch (error) {
    throw classifyDockerError(error, `inspecting the image just built (${reference})`, docker);
  }
}

export async function buildApiImage(options: BuildApiImageOptions): Promise<BuiltImage> {
  const { docker } = options;
  const log = options.log ?? silentLog;
  const model = modelRefSchema.parse(options.model);
  const at = options.now ?? new Date();
  const repository = options.repository ?? DEFAULT_IMAGE_REPOSITORY;
  const tag = imageTag(model.version, at);
  const reference = `${repository}:${tag}`;
  const labels = imageLabels(model, at);
  await ensureDaemon(docker, log);
  const context = await assembleApiContext({ modelDir: model.dir, appDir: options.appDir, dockerfile: options.dockerfile });
  const started = performance.now();
  try {
    log.info({ image: reference, context_bytes: context.bytes, base_image: options.baseImage ?? '(Dockerfile default)' }, `building ${reference}`);
    const buildargs: Record<string, string> = { MODEL_NAME: model.name, MODEL_VERSION: model.version, MODEL_RUN_ID: model.runId };
    const source = { dockerfile: options.dockerfile ?? 'deploy/api/Dockerfile', baseImage: options.baseImage };
    const imageId = await buildFromContext({ docker, context, reference, buildargs, labels, source, log });
    const ms = Math.round(performance.now() - started);
    log.info({ image: reference, image_id: imageId, ms }, `built ${reference}`);
    return { imageId, reference, repository, tag, labels, contextBytes: context.bytes, ms };
  } finally {
    context.cleanup();
  }
}
