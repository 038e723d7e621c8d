/**
 * What the push needs to know, from the environment (zod-validated, names every bad variable,
 * never echoes a value: one of them is a password).
 *
 *   ECR_REPOSITORY           repository name (default health-predict-api)
 *   ECR_TAG_MUTABILITY       IMMUTABLE (default: a tag always names one image) or MUTABLE
 *   ECR_SCAN_ON_PUSH         true (default) / false, for a repository this creates
 *   AWS_REGION | AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_ECR | AWS_ENDPOINT_URL (moto locally)
 *   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the SDK's default chain
 *   HP_ECR_MAX_ATTEMPTS      attempts per ECR call and per push on network errors (default 4)
 *   HP_LOCAL_REGISTRY, HP_LOCAL_REGISTRY_USERNAME, HP_LOCAL_REGISTRY_PASSWORD
 *                            all three or none: the registry that receives the layers instead of
 *                            the token's proxy endpoint (the local stack's docker-registry;
 *                            `health-predict stack env` exports them). See publish.ts.
 */
import { z } from 'zod';
import { ConfigurationError } from '../runtime/errors.ts';

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'host or host:port (no scheme)');

const envSchema = z.object({
  ECR_REPOSITORY: z.string().regex(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'an ECR repository name (lowercase, digits, . _ - /)').default('health-predict-api'),
  ECR_TAG_MUTABILITY: z.enum(['IMMUTABLE', 'MUTABLE']).default('IMMUTABLE'),
  ECR_SCAN_ON_PUSH: z.stringbool().default(true),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ENDPOINT_URL_ECR: z.string().url().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  HP_ECR_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  HP_LOCAL_REGISTRY: hostPort.optional(),
  HP_LOCAL_REGISTRY_USERNAME: z.string().min(1).optional(),
  HP_LOCAL_REGISTRY_PASSWORD: z.string().min(1).optional(),
});

export interface RegistryLogin {
  /** host[:port] the image is pushed to. */
  address: string;
  username: string;
  password: string;
}

export interface EcrConfig {
  repositoryName: string;
  tagMutability: 'IMMUTABLE' | 'MUTABLE';
  scanOnPush: boolean;
  region: string;
  endpoint?: string;
  maxAttempts: number;
  /** Keys from the given environment; absent: the SDK's default chain (profile, instance role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Set locally: layers go here, with these credentials, instead of to the token's endpoint. */
  localRegistry?: RegistryLogin;
}

export class EcrConfigError extends ConfigurationError {}

export function ecrConfigFromEnv(env: Record<string, string | undefined> = process.env): EcrConfig {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new EcrConfigError(`Invalid ECR configuration: ${problems.join('; ')}.`);
  }
  const e = parsed.data;
  const local = [e.HP_LOCAL_REGISTRY, e.HP_LOCAL_REGISTRY_USERNAME, e.HP_LOCAL_REGISTRY_PASSWORD];
  if (local.some((v) => v !== undefined) && !local.every((v) => v !== undefined)) {
    throw new EcrConfigError('HP_LOCAL_REGISTRY, HP_LOCAL_REGISTRY_USERNAME and HP_LOCAL_REGISTRY_PASSWORD go together: set all three (eval "$(health-predict stack env)") or none.');
  }
  return {
    repositoryName: e.ECR_REPOSITORY,
    tagMutability: e.ECR_TAG_MUTABILITY,
    scanOnPush: e.ECR_SCAN_ON_PUSH,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: e.AWS_ENDPOINT_URL_ECR ?? e.AWS_ENDPOINT_URL,
    maxAttempts: e.HP_ECR_MAX_ATTEMPTS,
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}) }
        : undefined,
    localRegistry: e.HP_LOCAL_REGISTRY ? { address: e.HP_LOCAL_REGISTRY, username: e.HP_LOCAL_REGISTRY_USERNAME!, password: e.HP_LOCAL_REGISTRY_PASSWORD! } : undefined,
  };
}
