/**
 * Runs an image for a local test: host network (the daemon has no bridge), a free port passed
 * as PORT, and a deadline for GET /ready. The container is removed on every path: readiness
 * failure, a failing caller, or success.
 *
 *   await withContainer({ docker, image }, async ({ baseUrl }) => { …requests… });
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { freePort } from '../host/ports.ts';
import { classifyDockerError, dockerStatus, type ImageLog, silentLog } from './docker.ts';
import { ContainerExitedError, ContainerNotReadyError } from './errors.ts';

export const TEST_CONTAINER_LABEL = 'health-predict.role';

export interface RunContainerOptions {
  docker: Docker;
  image: string;
  /** Extra environment (PORT is set from `port`). */
  env?: Record<string, string>;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  readyPath?: string;
  /** How long /ready may take (default 60 s). */
  readyTimeoutMs?: number;
  log?: ImageLog;
}

export interface RunningContainer {
  id: string;
  name: string;
  port: number;
  baseUrl: string;
  /** The container's stdout and stderr so far (last `lines` lines). */
  logs(lines?: number): Promise<string>;
  /** Stops and removes it; safe to call twice. */
  remove(): Promise<void>;
}

/** Docker multiplexes stdout/stderr of a non-TTY container in frames: [stream, 0, 0, 0, size(4 bytes BE)] + payload. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 && buffer.length ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

async function readyAnswer(url: string): Promise<number | string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).name;
  }
}

/** Starts the container and resolves once /ready answers 200; on failure it is removed before the error is thrown. */
export async function startContainer(options: RunContainerOptions): Promise<RunningContainer> {
  const { docker, image } = options;
  const log = options.log ?? silentLog;
  const port = options.port ?? (await freePort());
  const name = `hp-api-test-${randomBytes(4).toString('hex')}`;
  const env = { ...options.env, PORT: String(port) };
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: image,
      name,
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      Labels: { [TEST_CONTAINER_LABEL]: 'api-test' },
      HostConfig: { NetworkMode: 'host' },
    });
  } catch (error) {
    throw classifyDockerError(error, `creating a container from ${image}`, docker);
  }
  let removed = false;
  const handle: RunningContainer = {
    id: container.id,
    name,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    async logs(lines = 40) {
      try {
        return demuxLogs((await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer).trimEnd();
      } catch {
        return '';
      }
    },
    async remove() {
      if (removed) return;
      removed = true;
      try {
        await container.remove({ force: true, v: true });
        log.info({ container: name }, `removed container ${name}`);
      } catch (error) {
        const status = dockerStatus(error);
        if (status !== 404 && status !== 409) throw classifyDockerError(error, `removing container ${name}`, docker);
      }
    },
  };
  try {
    await container.start();
    log.info({ container: name, image, port }, `started ${name} from ${image} on port ${port}`);
    await waitUntilReady(container, handle, options);
    return handle;
  } catch (error) {
    await handle.remove().catch(() => {});
    if (error instanceof ContainerExitedError || error instanceof ContainerNotReadyError) throw error;
    throw classifyDockerError(error, `starting a container from ${image}`, docker);
  }
}

async function waitUntilReady(container: Docker.Container, handle: RunningContainer, options: RunContainerOptions): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const url = `${handle.baseUrl}${options.readyPath ?? '/ready'}`;
  const deadline = Date.now() + timeoutMs;
  let last: number | string = 'no answer yet';
  for (let round = 0; ; round++) {
    last = await readyAnswer(url);
    if (last === 200) return;
    if (round % 4 === 0) {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        const logs = await handle.logs();
        throw new ContainerExitedError(`Container ${handle.name} (${options.image}) exited with code ${state.ExitCode} before ${url} answered 200${state.Error ? ` (${state.Error})` : ''}. Its last output:\n${logs || '(none)'}`);
      }
    }
    if (Date.now() > deadline) {
      const logs = await handle.logs();
      throw new ContainerNotReadyError(`Container ${handle.name} (${options.image}) did not become ready within ${Math.round(timeoutMs / 1000)} s: ${url} last answered ${last}. Its last output:\n${logs || '(none)'}`);
    }
    await sleep(250);
  }
}

/** Runs `fn` against a ready container and always removes the container afterwards. */
export async function withContainer<T>(options: RunContainerOptions, fn: (container: RunningContainer) => Promise<T>): Promise<T> {
  const container = await startContainer(options);
  try {
    return await fn(container);
  } finally {
    await container.remove();
  }
}
