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
 *   DOCKER_IMAGE_REGISTRY    where images are pushed: an ECR registry URI
 *                            (<account>.dkr.ecr.<region>.amazonaws.com; the push goes through ECR and
 *                            must land there, the region is the URI's), or another registry's
 *                            host[:port], pushed to directly with DOCKER_REGISTRY_USERNAME and
 *                            DOCKER_REGISTRY_PASSWORD (no ECR API involved). Default: the ECR
 *                            registry of the credentials.
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
  DOCKER_IMAGE_REGISTRY: z
    .string()
    .transform((value) => value.trim().replace(/^https?:\/\//, '').replace(/\/+$/, ''))
    .pipe(hostPort)
    .optional(),
  DOCKER_REGISTRY_USERNAME: z.string().min(1).optional(),
  DOCKER_REGISTRY_PASSWORD: z.string().min(1).optional(),
});

/** `<account>.dkr.ecr.<region>.amazonaws.com` (or `.com.cn`). */
const ECR_REGISTRY = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** DOCKER_IMAGE_REGISTRY, resolved: an ECR registry the ECR flow must land in, or another registry pushed to directly. */
export type ImageRegistry =
  | { readonly kind: 'ecr'; readonly address: string; readonly accountId: string; readonly region: string }
  | { readonly kind: 'registry'; readonly login: RegistryLogin };

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
  /** DOCKER_IMAGE_REGISTRY; absent: the ECR registry of the credentials. */
  imageRegistry?: ImageRegistry;
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
  const imageRegistry = imageRegistryFrom(e);
  const region = e.AWS_REGION ?? e.AWS_DEFAULT_REGION;
  if (imageRegistry?.kind === 'ecr' && region !== undefined && region !== imageRegistry.region) {
    throw new EcrConfigError(`DOCKER_IMAGE_REGISTRY=${imageRegistry.address} is in region ${imageRegistry.region}, but AWS_REGION/AWS_DEFAULT_REGION says ${region}: set one region.`);
  }
  return {
    repositoryName: e.ECR_REPOSITORY,
    tagMutability: e.ECR_TAG_MUTABILITY,
    scanOnPush: e.ECR_SCAN_ON_PUSH,
    region: imageRegistry?.kind === 'ecr' ? imageRegistry.region : (region ?? 'us-east-1'),
    endpoint: e.AWS_ENDPOINT_URL_ECR ?? e.AWS_ENDPOINT_URL,
    maxAttempts: e.HP_ECR_MAX_ATTEMPTS,
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}) }
        : undefined,
    localRegistry: e.HP_LOCAL_REGISTRY ? { address: e.HP_LOCAL_REGISTRY, username: e.HP_LOCAL_REGISTRY_USERNAME!, password: e.HP_LOCAL_REGISTRY_PASSWORD! } : undefined,
    ...(imageRegistry ? { imageRegistry } : {}),
  };
}

function imageRegistryFrom(e: z.output<typeof envSchema>): ImageRegistry | undefined {
  const address = e.DOCKER_IMAGE_REGISTRY;
  const credentials = [e.DOCKER_REGISTRY_USERNAME, e.DOCKER_REGISTRY_PASSWORD];
  if (credentials.some((v) => v !== undefined) && !credentials.every((v) => v !== undefined)) {
    throw new EcrConfigError('DOCKER_REGISTRY_USERNAME and DOCKER_REGISTRY_PASSWORD go together: set both, for the registry DOCKER_IMAGE_REGISTRY names.');
  }
  if (address === undefined) {
    if (e.DOCKER_REGISTRY_USERNAME) throw new EcrConfigError('DOCKER_REGISTRY_USERNAME and DOCKER_REGISTRY_PASSWORD are set but DOCKER_IMAGE_REGISTRY is not: name the registry they are for.');
    return undefined;
  }
  const ecr = ECR_REGISTRY.exec(address);
  if (ecr) {
    if (e.DOCKER_REGISTRY_USERNAME) throw new EcrConfigError(`DOCKER_IMAGE_REGISTRY=${address} is an ECR registry: the push logs in with an ECR token from the AWS credentials; unset DOCKER_REGISTRY_USERNAME and DOCKER_REGISTRY_PASSWORD.`);
    return { kind: 'ecr', address, accountId: ecr[1]!, region: ecr[2]! };
  }
  if (!e.DOCKER_REGISTRY_USERNAME) {
    throw new EcrConfigError(`DOCKER_IMAGE_REGISTRY=${address} is not an ECR registry: set DOCKER_REGISTRY_USERNAME and DOCKER_REGISTRY_PASSWORD for it.`);
  }
  if (e.HP_LOCAL_REGISTRY !== undefined && e.HP_LOCAL_REGISTRY !== address) {
    throw new EcrConfigError(`DOCKER_IMAGE_REGISTRY=${address} and HP_LOCAL_REGISTRY=${e.HP_LOCAL_REGISTRY} name different registries; the push goes to one: unset HP_LOCAL_REGISTRY (the local stand-in for ECR's).`);
  }
  return { kind: 'registry', login: { address, username: e.DOCKER_REGISTRY_USERNAME, password: e.DOCKER_REGISTRY_PASSWORD! } };
}
