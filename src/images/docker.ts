/**
 * A dockerode client for DOCKER_HOST (the stack's dockerd: `unix://…/docker.sock`), and what a
 * failed call means: daemon unreachable (retryable) or request refused (not).
 */
import Docker from 'dockerode';
import { withRetries } from '../runtime/retry.ts';
import { DockerRequestError, DockerUnavailableError } from './errors.ts';

export interface ImageLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export const silentLog: ImageLog = { info: () => {}, warn: () => {} };

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** A dockerode client for `dockerHost` (default: DOCKER_HOST, else the system socket). */
export function connectDocker(dockerHost: string | undefined = process.env.DOCKER_HOST): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ protocol: url.protocol === 'https:' ? 'https' : 'http', host: url.hostname, port: url.port || 2375 });
}

/** Where a client talks to, for messages. */
export function daemonAddress(docker: Docker): string {
  const options = docker.modem as unknown as { socketPath?: string; host?: string; port?: string | number };
  return options.socketPath ? `unix://${options.socketPath}` : `${options.host}:${options.port}`;
}

/** The HTTP status the daemon answered a failed call with (404 not found, 409 conflict…), if it answered. */
export const dockerStatus = (error: unknown): number | undefined => (error as { statusCode?: number } | undefined)?.statusCode;

/** What the daemon knows of image `reference`, or undefined when no image has that name or id. */
export async function inspectImage(docker: Docker, reference: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(reference).inspect();
  } catch (error) {
    if (dockerStatus(error) === 404) return undefined;
    throw classifyDockerError(error, `inspecting ${reference}`, docker);
  }
}

/** True for errors that mean the daemon did not answer (as opposed to answering "no"). */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof DockerUnavailableError) return true;
  const e = error as { code?: string; statusCode?: number; message?: string };
  if (e?.code && UNREACHABLE_CODES.has(e.code)) return true;
  return /socket hang up|connect ECONNREFUSED|connect ENOENT/i.test(e?.message ?? '');
}

/** The daemon's own explanation inside a dockerode HTTP error, else the error's message. */
export function daemonMessage(error: unknown): string {
  const e = error as { json?: { message?: string } | string; reason?: string; message?: string };
  if (e?.json && typeof e.json === 'object' && e.json.message) return e.json.message;
  if (typeof e?.json === 'string' && e.json.trim()) return e.json.trim();
  return e?.message ?? String(error);
}

/** Wraps a failed dockerode call as DockerUnavailableError (retryable) or DockerRequestError (not). */
export function classifyDockerError(error: unknown, doing: string, docker: Docker): Error {
  if (error instanceof DockerUnavailableError || error instanceof DockerRequestError) return error;
  if (isUnreachable(error)) {
    return new DockerUnavailableError(
      `Docker daemon at ${daemonAddress(docker)} did not answer while ${doing} (${(error as Error).message}). Start it with \`health-predict stack up --services docker\` or set DOCKER_HOST to a running daemon.`,
      { cause: error },
    );
  }
  return new DockerRequestError(`Docker refused ${doing}: ${daemonMessage(error)}`, { cause: error });
}

/** Waits (with backoff) until the daemon answers /_ping; DockerUnavailableError when it never does. */
export async function ensureDaemon(docker: Docker, log: ImageLog = silentLog, attempts = 4): Promise<void> {
  await withRetries(
    async () => {
      try {
        await docker.ping();
      } catch (error) {
        throw classifyDockerError(error, 'answering a ping', docker);
      }
    },
    {
      retryable: isUnreachable,
      onRetry: (error, attempt, delayMs) => log.warn({ attempt, delay_ms: delayMs }, `Docker daemon not reachable (attempt ${attempt}), retrying in ${delayMs} ms: ${(error as Error).message}`),
    },
    { attempts },
  );
}
