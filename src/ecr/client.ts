/**
 * The ECR API client and how its calls fail. As with S3 (src/data/object-store.ts), retries
 * are ours and logged: the SDK's own retry layer is off, transient failures (network, 5xx,
 * throttling) are retried with backoff, refused credentials fail with CredentialsRefusedError
 * and other 4xx with NonRetryableError.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { classify } from '../data/object-store.ts';
import type { ImageLog } from '../images/docker.ts';
import { CredentialsRefusedError, NonRetryableError } from '../runtime/errors.ts';
import { withRetries } from '../runtime/retry.ts';
import type { EcrConfig } from './config.ts';
import { RegistryUnavailableError } from './errors.ts';

/** ECR's names for "these credentials are not accepted" (it answers 400 for several of them). */
const ECR_AUTH_ERRORS = new Set([
  'UnrecognizedClientException', 'InvalidSignatureException', 'AccessDeniedException', 'ExpiredTokenException',
  'InvalidClientTokenId', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'CredentialsProviderError',
]);

export type EcrFailureKind = 'transient' | 'auth' | 'rejected';

export function ecrFailureKind(error: unknown): EcrFailureKind {
  const name = (error as { name?: string })?.name ?? '';
  if (ECR_AUTH_ERRORS.has(name)) return 'auth';
  const kind = classify(error);
  if (kind === 'transient' || kind === 'auth') return kind;
  return 'rejected';
}

export function createEcrClient(config: EcrConfig): ECRClient {
  return new ECRClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 1, // retried (and logged) by callEcr
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  });
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return [e?.name && e.name !== 'Error' ? e.name : undefined, status ? `HTTP ${status}` : undefined].filter(Boolean).join(' ') + (e?.message ? `: ${e.message}` : '');
}

/** Runs one ECR call with retries of transient failures; `doing` names it in messages ("creating repository x"). */
export async function callEcr<T>(config: EcrConfig, doing: string, call: () => Promise<T>, log?: ImageLog): Promise<T> {
  const at = config.endpoint ? ` at ${config.endpoint}` : ` in ${config.region}`;
  try {
    return await withRetries(call, {
      retryable: (error) => ecrFailureKind(error) === 'transient',
      onRetry: (error, attempt, delayMs) => log?.warn({ attempt, delay_ms: delayMs }, `ECR ${doing} failed on attempt ${attempt}/${config.maxAttempts} (${describe(error)}); retrying in ${delayMs} ms`),
    }, { attempts: config.maxAttempts });
  } catch (error) {
    switch (ecrFailureKind(error)) {
      case 'auth':
        throw new CredentialsRefusedError(`ECR refused the credentials while ${doing}${at}: ${describe(error)}. Fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the IAM policy (ecr:* on the repository); retrying would fail again.`, { cause: error });
      case 'transient':
        throw new RegistryUnavailableError(`ECR did not answer while ${doing}${at} after ${config.maxAttempts} attempt(s): ${describe(error)}. Check that the endpoint is reachable; Airflow retries the task.`, { cause: error });
      default:
        throw new NonRetryableError(`ECR rejected ${doing}${at}: ${describe(error)}.`, { cause: error });
    }
  }
}
