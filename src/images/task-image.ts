/**
 * The task image (`health-predict-tasks`): what every task of the `cluster` profile runs in, as a
 * pod. Built with dockerode and BuildKit (buildFromContext, as the API image) from
 * deploy/tasks/Dockerfile and a context assembled in a temp dir: only the files the Dockerfile
 * copies, without the checkout's virtualenvs, caches and node_modules (GBs).
 *
 * The Dockerfile keeps one layer per lock file (package-lock.json, trainer/requirements.lock), so
 * with the daemon's build cache a source change rebuilds the bundles and not the ML environment,
 * and a build with nothing changed takes seconds.
 *
 * A build that moves the tag leaves the previous image nameless (each one GBs), so the previous
 * image goes when nothing names or uses it any more (withReplacedImageRemoved); never by force.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { REPO_ROOT } from '../host/repo-root.ts';
import { buildFromContext } from './build.ts';
import { type BuildContext, normaliseModes, sizeOf } from './context.ts';
import { classifyDockerError, ensureDaemon, type ImageLog, silentLog } from './docker.ts';
import { withReplacedImageRemoved } from './replaced-image.ts';
import { BuildInputError } from './errors.ts';

export const TASK_IMAGE_REPOSITORY = 'health-predict-tasks';
export const TASK_IMAGE_DEFAULT_TAG = 'latest';
/** Relative to the checkout. */
export const TASK_DOCKERFILE = 'deploy/tasks/Dockerfile';

/** What the Dockerfile copies from the checkout (the bundles are built inside the image). */
export const TASK_CONTEXT_ENTRIES = ['package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'src', 'examples', 'deploy', 'trainer'] as const;

/** Never part of the context: caches and environments a checkout grows, wherever they sit. */
const NEVER_COPIED = new Set(['node_modules', '.venv', '.cache', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache']);

export interface TaskImageOptions {
  docker: Docker;
  /** The checkout to build from (default: the one this code runs from). */
  root?: string;
  /** Local image name (default health-predict-tasks). */
  repository?: string;
  /** Default `latest`. */
  tag?: string;
  /** BASE_IMAGE build argument; default: the Dockerfile's (node:20-bookworm-slim). */
  baseImage?: string;
  log?: ImageLog;
}

export interface TaskImage {
  /** `<repository>:<tag>` in the daemon. */
  reference: string;
  imageId: string;
  /** The image's size as the daemon reports it (all layers, uncompressed). */
  sizeBytes: number;
  contextBytes: number;
  seconds: number;
}

/** Copies TASK_CONTEXT_ENTRIES of `root` and the Dockerfile into a temp dir; the caller must call `cleanup()`. */
export function assembleTaskContext(root: string = REPO_ROOT): BuildContext {
  const dockerfile = path.join(root, TASK_DOCKERFILE);
  if (!existsSync(dockerfile)) throw new BuildInputError(`${dockerfile} does not exist; the task image is built from a health-predict checkout.`);
  const missing = TASK_CONTEXT_ENTRIES.filter((entry) => !existsSync(path.join(root, entry)));
  if (missing.length) throw new BuildInputError(`The task image needs ${missing.join(', ')} from the checkout ${root}, which ${missing.length === 1 ? 'is' : 'are'} missing.`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-task-image-context-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(dockerfile, path.join(dir, 'Dockerfile'));
    for (const entry of TASK_CONTEXT_ENTRIES) {
      cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true, filter: (source) => !NEVER_COPIED.has(path.basename(source)) && !source.endsWith('.pyc') });
    }
    normaliseModes(dir);
    return { dir, entries: readdirSync(dir), bytes: sizeOf(dir), cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** Builds the task image; resolves with its local reference, id, size and build time. */
export async function buildTaskImage(options: TaskImageOptions): Promise<TaskImage> {
  const { docker } = options;
  const log = options.log ?? silentLog;
  const root = options.root ?? REPO_ROOT;
  const reference = `${options.repository ?? TASK_IMAGE_REPOSITORY}:${options.tag ?? TASK_IMAGE_DEFAULT_TAG}`;
  await ensureDaemon(docker, log);
  const started = performance.now();
  const context = assembleTaskContext(root);
  try {
    log.info({ image: reference, context_bytes: context.bytes, base_image: options.baseImage ?? '(Dockerfile default)' }, `building ${reference}`);
    const source = { dockerfile: TASK_DOCKERFILE, baseImage: options.baseImage };
    // RUN steps download packages (apt, npm, PyPI); the local dockerd has no bridge network.
    const imageId = await withReplacedImageRemoved(docker, reference, log, () => buildFromContext({ docker, context, reference, source, networkMode: 'host', log }));
    let sizeBytes: number;
    try {
      sizeBytes = (await docker.getImage(imageId).inspect()).Size;
    } catch (error) {
      throw classifyDockerError(error, `inspecting ${reference}`, docker);
    }
    const seconds = Math.round(performance.now() - started) / 1000;
    log.info({ image: reference, image_id: imageId, size_bytes: sizeBytes, seconds }, `built ${reference}`);
    return { reference, imageId, sizeBytes, contextBytes: context.bytes, seconds };
  } finally {
    context.cleanup();
  }
}
