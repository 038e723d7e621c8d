/**
 * `docker tag` + `docker push` through dockerode. The daemon answers a push with HTTP 200 and
 * then streams events; a refused login or an unreachable registry is an `error` event, so every
 * event is checked. Network failures are retried (a push is idempotent: layers already there
 * are skipped); a refused login fails at once with CredentialsRefusedError.
 */
import type Docker from 'dockerode';
import { classifyDockerError, type ImageLog, isUnreachable, silentLog } from '../images/docker.ts';
import { type DockerEvent, followJsonStream } from '../images/json-stream.ts';
import { CredentialsRefusedError, HealthPredictError, NonRetryableError, TaskError } from '../runtime/errors.ts';
import { withRetries } from '../runtime/retry.ts';
import type { RegistryLogin } from './config.ts';
import { RegistryUnavailableError } from './errors.ts';

const REFUSED = /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied:|401 Unauthorized|403 Forbidden/i;
const NETWORK = /dial tcp|connection refused|connection reset|i\/o timeout|TLS handshake timeout|no such host|EOF$|unexpected EOF|50[234] |Service Unavailable|Bad Gateway|toomanyrequests|broken pipe/i;

export interface PushRequest {
  docker: Docker;
  /** The local image (e.g. health-predict-api:v7-20260304050607). */
  image: string;
  /** `<registry host>/<repository>`. */
  repository: string;
  tag: string;
  login: RegistryLogin;
  attempts?: number;
  log?: ImageLog;
}

export interface PushResult {
  reference: string;
  digest: string;
  size?: number;
}

/** The digest the daemon reports at the end of a push: aux {Tag, Digest, Size}, or the "digest: sha256:… size: N" status line. */
export function pushedDigest(events: readonly DockerEvent[], tag: string): { digest: string; size?: number } | undefined {
  for (const event of events) {
    const aux = event.aux as { Tag?: unknown; Digest?: unknown; Size?: unknown } | undefined;
    if (aux && typeof aux.Digest === 'string' && (aux.Tag === undefined || aux.Tag === tag)) {
      return { digest: aux.Digest, size: typeof aux.Size === 'number' ? aux.Size : undefined };
    }
  }
  for (const event of events) {
    const match = /digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(event.status ?? '');
    if (match) return { digest: match[1]!, size: Number(match[2]) };
  }
  return undefined;
}

class PushAttemptError extends HealthPredictError {
  constructor(
    message: string,
    readonly kind: 'refused' | 'network' | 'other',
  ) {
    super(message, { retryable: kind === 'network' });
  }
}

function kindOf(message: string): PushAttemptError['kind'] {
  if (REFUSED.test(message)) return 'refused';
  if (NETWORK.test(message)) return 'network';
  return 'other';
}

async function pushOnce(request: PushRequest, reference: string, log: ImageLog): Promise<PushResult> {
  const { docker, login } = request;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getImage(reference).push({ authconfig: { username: login.username, password: login.password, serveraddress: login.address } });
  } catch (error) {
    if (isUnreachable(error)) throw classifyDockerError(error, `pushing ${reference}`, docker);
    const message = classifyDockerError(error, `pushing ${reference}`, docker).message;
    throw new PushAttemptError(message, kindOf(message));
  }
  let lastStatus = '';
  const result = await followJsonStream(stream, (event) => {
    const status = event.status && event.status !== lastStatus && !event.progress ? event.status : undefined;
    if (status) {
      lastStatus = status;
      log.info({ image: reference, layer: event.id }, event.id ? `${event.id}: ${status}` : status);
    }
  }).catch((error: unknown) => {
    throw new PushAttemptError(`the connection to the Docker daemon broke while pushing ${reference}: ${(error as Error).message}`, 'network');
  });
  if (result.error) throw new PushAttemptError(result.error.trim(), kindOf(result.error));
  const pushed = pushedDigest(result.events, request.tag);
  if (!pushed) throw new PushAttemptError(`the push of ${reference} ended without reporting a digest`, 'other');
  return { reference, ...pushed };
}

/** Tags `image` as `<repository>:<tag>` and pushes it; resolves with the registry's digest. */
export async function tagAndPush(request: PushRequest): Promise<PushResult> {
  const { docker, repository, tag, login } = request;
  const log = request.log ?? silentLog;
  const reference = `${repository}:${tag}`;
  try {
    await docker.getImage(request.image).tag({ repo: repository, tag });
  } catch (error) {
    throw classifyDockerError(error, `tagging ${request.image} as ${reference}`, docker);
  }
  log.info({ image: reference, registry: login.address }, `pushing ${reference} as ${login.username}`);
  try {
    return await withRetries(() => pushOnce(request, reference, log), {
      retryable: (error) => (error instanceof PushAttemptError && error.kind === 'network') || isUnreachable(error),
      onRetry: (error, attempt, delayMs) => log.warn({ image: reference, attempt, delay_ms: delayMs }, `push of ${reference} failed on attempt ${attempt} (${(error as Error).message}); retrying in ${delayMs} ms`),
    }, { attempts: request.attempts ?? 4 });
  } catch (error) {
    if (!(error instanceof PushAttemptError)) throw error;
    if (error.kind === 'refused') {
      throw new CredentialsRefusedError(`The registry ${login.address} refused the push of ${reference} for user ${login.username}: ${error.message}. The registry password or token is wrong or expired (locally: HP_LOCAL_REGISTRY_PASSWORD from \`health-predict stack env\`); retrying would be refused again.`);
    }
    if (error.kind === 'network') throw new RegistryUnavailableError(`The registry ${login.address} could not be reached while pushing ${reference}: ${error.message}. Airflow retries the task.`);
    if (/tag invalid|already exists|cannot be overwritten|immutable/i.test(error.message)) {
      throw new NonRetryableError(`The registry ${login.address} rejected ${reference}: ${error.message}. Tags are immutable here; build a new tag.`);
    }
    throw new TaskError(`The push of ${reference} to ${login.address} failed: ${error.message}.`, true);
  }
}
