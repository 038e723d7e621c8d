/**
 * What a model version was rolled out as: deploy_to_kubernetes tags the version with the image
 * the Deployment ran (pinned by digest) and where, once the rollout completed. A manual
 * rollback (restoreVersion, rollToVersion) can only go back to a version that carries these
 * tags: its image is known and was proven to roll out.
 *
 *   health_predict.image         <repository>:<tag>@sha256:…
 *   health_predict.deployed_to   <namespace>/<deployment>
 */
import { BadDataError } from '../runtime/errors.ts';
import type { MlflowClient } from './client.ts';
import type { ModelVersion } from './schemas.ts';

export const IMAGE_TAG = 'health_predict.image';
export const DEPLOYED_TO_TAG = 'health_predict.deployed_to';

export interface DeployedImage {
  /** The image reference with its digest. */
  image: string;
  /** `<namespace>/<deployment>`. */
  deployedTo: string;
}

/** `<repository>:<tag>@<digest>` from a push's reference and digest (a reference already pinned is kept). */
export function pinnedImage(reference: string, digest: string): string {
  if (reference.includes('@')) return reference;
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new BadDataError(`The pushed image ${reference} has no usable digest ('${digest}'); the deployed image must be pinned by digest.`);
  return `${reference}@${digest}`;
}

/** The image the version was deployed as, or undefined when it never completed a rollout. */
export function deployedImageOf(version: ModelVersion): DeployedImage | undefined {
  const image = version.tags[IMAGE_TAG];
  if (!image) return undefined;
  return { image, deployedTo: version.tags[DEPLOYED_TO_TAG] ?? '' };
}

/** Tags the version with its deployed image; writes only what differs, so a retried task changes nothing. */
export async function recordDeployedImage(client: MlflowClient, modelName: string, version: string, deployed: DeployedImage): Promise<void> {
  const current = await client.models.getVersion(modelName, version);
  if (current.tags[IMAGE_TAG] !== deployed.image) await client.models.setVersionTag(modelName, version, IMAGE_TAG, deployed.image);
  if (current.tags[DEPLOYED_TO_TAG] !== deployed.deployedTo) await client.models.setVersionTag(modelName, version, DEPLOYED_TO_TAG, deployed.deployedTo);
}
