/**
 * The task image on the local platform: built by src/images/task-image.ts, pushed to the stack's
 * registry, and named by digest (`<registry>/health-predict-tasks@sha256:…`), which is what the
 * cluster profile's pods should pull. The local cluster's containerd pulls from that registry
 * over plain HTTP (it is on loopback) with its login as an imagePullSecret
 * (`health-predict cluster pull-secret`).
 *
 * Where it builds and pushes: DOCKER_HOST, BASE_IMAGE and HP_LOCAL_REGISTRY(_USERNAME,_PASSWORD)
 * as `health-predict stack env` exports them, else the running stack's dockerd and registry.
 * Without BASE_IMAGE the local Node base image is used (made when missing: offline there is no
 * node:20-bookworm-slim to pull).
 */
import type Docker from 'dockerode';
import type { RegistryLogin } from '../ecr/config.ts';
import { pushConfirmed } from '../ecr/publish.ts';
import { ensureBaseImage } from '../images/base-image.ts';
import { connectDocker, type ImageLog, silentLog } from '../images/docker.ts';
import { buildTaskImage, TASK_IMAGE_DEFAULT_TAG, TASK_IMAGE_REPOSITORY, type TaskImage } from '../images/task-image.ts';
import { withReplacedImageRemoved } from '../images/replaced-image.ts';
import { stackEnv, stackStatus } from '../stack/index.ts';
import { ClusterError } from './errors.ts';

export interface PublishTaskImageOptions {
  docker: Docker;
  registry: RegistryLogin;
  /** BASE_IMAGE build argument; default: the Dockerfile's. */
  baseImage?: string;
  /** Default `latest`. */
  tag?: string;
  /** The checkout to build from (default: the one this code runs from). */
  root?: string;
  log?: ImageLog;
}

export interface PublishedTaskImage {
  /** `<registry>/health-predict-tasks@sha256:…`: what a pod should pull. */
  reference: string;
  /** `<registry>/health-predict-tasks:<tag>`. */
  tagReference: string;
  digest: string;
  image: TaskImage;
  pushSeconds: number;
}

/** Builds the task image and pushes it to `registry`; checks the registry then serves the pushed digest. */
export async function publishTaskImage(options: PublishTaskImageOptions): Promise<PublishedTaskImage> {
  const { docker, registry } = options;
  const log = options.log ?? silentLog;
  const tag = options.tag ?? TASK_IMAGE_DEFAULT_TAG;
  const image = await buildTaskImage({ docker, baseImage: options.baseImage, tag, root: options.root, log });
  const started = performance.now();
  // The push moves the registry's tag too: the image it named before goes when nothing else names it.
  const pushed = `${registry.address}/${TASK_IMAGE_REPOSITORY}:${tag}`;
  const { pullRepository, digest } = await withReplacedImageRemoved(docker, pushed, log, () => pushConfirmed({ docker, image: image.reference, login: registry, name: TASK_IMAGE_REPOSITORY, tag, log }));
  const pushSeconds = Math.round(performance.now() - started) / 1000;
  return { reference: `${pullRepository}@${digest}`, tagReference: `${pullRepository}:${tag}`, digest, image, pushSeconds };
}

export interface LocalPlatform {
  docker: Docker;
  registry: RegistryLogin;
  baseImage: string;
}

/**
 * The dockerd, registry and base image to use: from `env` (`eval "$(health-predict stack env)"`),
 * else from the running stack in `stackDir` (default $HP_STACK_DIR or <repo>/.stack).
 */
export async function localPlatform(env: NodeJS.ProcessEnv = process.env, stackDir?: string, log: ImageLog = silentLog): Promise<LocalPlatform> {
  let resolved: Record<string, string | undefined> = env;
  if (!env.DOCKER_HOST || !env.HP_LOCAL_REGISTRY) {
    const status = await stackStatus({ stateDir: stackDir, services: ['docker', 'registry'] });
    const url = (name: 'docker' | 'registry') => (status.services[name].healthy ? status.services[name].url : undefined);
    resolved = { ...stackEnv({ dockerHost: url('docker'), registryUrl: url('registry'), stateDir: status.stateDir }), ...env };
  }
  const { DOCKER_HOST, HP_LOCAL_REGISTRY, HP_LOCAL_REGISTRY_USERNAME, HP_LOCAL_REGISTRY_PASSWORD } = resolved;
  if (!DOCKER_HOST || !HP_LOCAL_REGISTRY || !HP_LOCAL_REGISTRY_USERNAME || !HP_LOCAL_REGISTRY_PASSWORD) {
    throw new ClusterError(
      'The task image needs a dockerd and a registry: set DOCKER_HOST and HP_LOCAL_REGISTRY, HP_LOCAL_REGISTRY_USERNAME, HP_LOCAL_REGISTRY_PASSWORD (eval "$(health-predict stack env)"), or run `health-predict stack up --services docker,registry`.',
    );
  }
  const docker = connectDocker(DOCKER_HOST);
  const baseImage = env.BASE_IMAGE ?? (await ensureBaseImage({ docker, log })).tag;
  return { docker, registry: { address: HP_LOCAL_REGISTRY, username: HP_LOCAL_REGISTRY_USERNAME, password: HP_LOCAL_REGISTRY_PASSWORD }, baseImage };
}
