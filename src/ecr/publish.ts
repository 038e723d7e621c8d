/**
 * push_to_ecr: ensure the repository, get the authorization token, tag and push with
 * dockerode, confirm the pushed digest with DescribeImages.
 *
 * Locally (HP_LOCAL_REGISTRY… set, see config.ts) moto serves the ECR API but not image
 * layers, and its token (`AWS:<account>-auth-token`) opens nothing. The mapping:
 *   - the ECR API is still called for everything it answers: the repository (created with
 *     scan-on-push and the tag mutability), the token (decoded; its user name is kept), and
 *     DescribeImages at the end;
 *   - the layers go to the local docker-registry, with its htpasswd password in place of the
 *     token's (the registry's user is `AWS`, like ECR's), i.e. the token's proxy endpoint and
 *     password are the only parts replaced;
 *   - ECR learns about an image from its registry endpoint; moto's cannot, so the manifest the
 *     registry now serves is registered with PutImage (what ECR does internally when a push
 *     completes), digest included. DescribeImages then confirms that digest as it would on AWS.
 * On AWS (no override) the push goes to the token's endpoint and PutImage is not called.
 *
 * DOCKER_IMAGE_REGISTRY (config.ts) names where images go: an ECR registry URI keeps this flow
 * and checks the repository is in that registry; another registry is pushed to directly with
 * its own login, and the digest is confirmed from its manifest (no ECR API at all).
 */
import { DescribeImagesCommand, type ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import type Docker from 'dockerode';
import type { ImageLog } from '../images/docker.ts';
import { silentLog } from '../images/docker.ts';
import { NonRetryableError } from '../runtime/errors.ts';
import { getAuthorization } from './auth.ts';
import { callEcr, createEcrClient } from './client.ts';
import type { EcrConfig, RegistryLogin } from './config.ts';
import { fetchManifest } from './manifest.ts';
import { tagAndPush } from './push.ts';
import { ensureRepository } from './repository.ts';

export interface PushToEcrOptions {
  docker: Docker;
  /** Local image reference, e.g. health-predict-api:v7-20260304050607. */
  image: string;
  tag: string;
  config: EcrConfig;
  ecr?: ECRClient;
  log?: ImageLog;
}

export interface PublishedImage {
  repositoryName: string;
  /** ECR's repository URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  repositoryUri: string;
  /** Where the layers are: the repository URI on AWS, `<local registry>/<name>` locally. */
  pullRepository: string;
  tag: string;
  digest: string;
  /** `<pullRepository>@<digest>`: what a deployment should pull. */
  imageRef: string;
  registry: string;
  localRegistry: boolean;
  repositoryCreated: boolean;
  pushedAt?: string;
}

async function registerWithEcr(ecr: ECRClient, config: EcrConfig, login: RegistryLogin, tag: string, digest: string, log: ImageLog): Promise<void> {
  const name = config.repositoryName;
  const manifest = await fetchManifest(login, name, tag);
  if (manifest.digest !== digest) throw new NonRetryableError(`The local registry serves ${name}:${tag} with digest ${manifest.digest}, but the push reported ${digest}.`);
  await callEcr(config, `registering ${name}:${tag} (PutImage)`, async () => {
    try {
      await ecr.send(new PutImageCommand({ repositoryName: name, imageTag: tag, imageManifest: manifest.body, imageManifestMediaType: manifest.mediaType, imageDigest: digest }));
    } catch (error) {
      // A re-run after a crash: the same manifest under the same tag is already registered.
      if ((error as { name?: string }).name !== 'ImageAlreadyExistsException') throw error;
      log.info({ repository: name, tag }, `ECR already lists ${name}:${tag}`);
    }
  }, log);
}

async function describedDigest(ecr: ECRClient, config: EcrConfig, tag: string, log: ImageLog) {
  const name = config.repositoryName;
  const response = await callEcr(config, `describing ${name}:${tag}`, () => ecr.send(new DescribeImagesCommand({ repositoryName: name, imageIds: [{ imageTag: tag }] })), log);
  const detail = response.imageDetails?.[0];
  if (!detail?.imageDigest) throw new NonRetryableError(`ECR does not list ${name}:${tag} after the push.`);
  return detail;
}

export interface ConfirmedPush {
  /** `<registry>/<name>`. */
  pullRepository: string;
  digest: string;
}

/** Pushes `image` as `<registry>/<name>:<tag>` with the registry's login and confirms the digest from the manifest it then serves. */
export async function pushConfirmed(request: {
  docker: Docker;
  image: string;
  login: RegistryLogin;
  name: string;
  tag: string;
  attempts?: number;
  log: ImageLog;
}): Promise<ConfirmedPush> {
  const { login, name, tag, log } = request;
  const pullRepository = `${login.address}/${name}`;
  const pushed = await tagAndPush({ docker: request.docker, image: request.image, repository: pullRepository, tag, login, attempts: request.attempts, log });
  const manifest = await fetchManifest(login, name, tag);
  if (manifest.digest !== pushed.digest) {
    throw new NonRetryableError(`The registry ${login.address} serves ${name}:${tag} with digest ${manifest.digest}, but the push produced ${pushed.digest}: another image holds the tag.`);
  }
  log.info({ repository: name, tag, digest: pushed.digest }, `pushed ${pullRepository}:${tag} (${pushed.digest}); the registry serves that digest`);
  return { pullRepository, digest: pushed.digest };
}

/** A registry that is not ECR: push with its login, confirm the digest from the manifest it then serves. */
async function pushToRegistry(options: PushToEcrOptions, login: RegistryLogin): Promise<PublishedImage> {
  const { docker, config, tag } = options;
  const log = options.log ?? silentLog;
  const name = config.repositoryName;
  const { pullRepository, digest } = await pushConfirmed({ docker, image: options.image, login, name, tag, attempts: config.maxAttempts, log });
  return {
    repositoryName: name,
    repositoryUri: pullRepository,
    pullRepository,
    tag,
    digest,
    imageRef: `${pullRepository}@${digest}`,
    registry: login.address,
    localRegistry: false,
    repositoryCreated: false,
  };
}

export async function pushToEcr(options: PushToEcrOptions): Promise<PublishedImage> {
  const { docker, config, tag } = options;
  if (config.imageRegistry?.kind === 'registry') return pushToRegistry(options, config.imageRegistry.login);
  const log = options.log ?? silentLog;
  const ecr = options.ecr ?? createEcrClient(config);
  const repository = await ensureRepository(ecr, config, log);
  const wanted = config.imageRegistry;
  if (wanted?.kind === 'ecr' && new URL(`https://${repository.uri}`).host !== wanted.address) {
    throw new NonRetryableError(
      `DOCKER_IMAGE_REGISTRY is ${wanted.address}, but with these AWS credentials the repository ${repository.name} is ${repository.uri}: use credentials of account ${wanted.accountId}, or unset DOCKER_IMAGE_REGISTRY.`,
    );
  }
  const token = await getAuthorization(ecr, config, log);
  const local = config.localRegistry;
  // Locally only the token's endpoint and password are replaced (see the module comment).
  const login: RegistryLogin = local ? { address: local.address, username: local.username, password: local.password } : token;
  if (local && local.username !== token.username) {
    log.warn({ token_user: token.username, registry_user: local.username }, `the ECR token is for user ${token.username} but the local registry's user is ${local.username}; pushing as ${local.username}`);
  }
  const pullRepository = local ? `${local.address}/${repository.name}` : repository.uri;
  const pushed = await tagAndPush({ docker, image: options.image, repository: pullRepository, tag, login, attempts: config.maxAttempts, log });
  if (local) await registerWithEcr(ecr, config, login, tag, pushed.digest, log);
  const detail = await describedDigest(ecr, config, tag, log);
  if (detail.imageDigest !== pushed.digest) {
    throw new NonRetryableError(`ECR lists ${repository.name}:${tag} with digest ${detail.imageDigest}, but the push produced ${pushed.digest}: another image holds the tag.`);
  }
  log.info({ repository: repository.name, tag, digest: pushed.digest }, `pushed ${pullRepository}:${tag} (${pushed.digest}); ECR confirms the digest`);
  return {
    repositoryName: repository.name,
    repositoryUri: repository.uri,
    pullRepository,
    tag,
    digest: pushed.digest,
    imageRef: `${pullRepository}@${pushed.digest}`,
    registry: login.address,
    localRegistry: local !== undefined,
    repositoryCreated: repository.created,
    pushedAt: detail.imagePushedAt?.toISOString(),
  };
}
