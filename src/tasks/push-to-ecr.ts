import { z } from 'zod';
import { ecrConfigFromEnv, pushToEcr } from '../ecr/index.ts';
import { connectDocker } from '../images/index.ts';
import { imageBuildSchema, imagePushSchema } from '../pipeline/contract/release.ts';
import { defineTask } from '../runtime/index.ts';

/**
 * Pushes the tested image to ECR: ensures the repository (scan on push, configured tag
 * mutability), logs in with the authorization token, pushes, and confirms the digest with
 * DescribeImages. Locally the layers go to the stack's registry behind moto's ECR API.
 * DOCKER_IMAGE_REGISTRY names the ECR registry it must land in, or another registry pushed to
 * directly (src/ecr/config.ts).
 */
export default defineTask({
  id: 'push-to-ecr',
  description: 'ECR: repository ensured, authenticated push, digest confirmed with DescribeImages.',
  input: z.object({ image: imageBuildSchema }),
  output: imagePushSchema,
  run: async ({ image }, ctx) => {
    const published = await pushToEcr({ docker: connectDocker(), image: image.image, tag: image.tag, config: ecrConfigFromEnv(), log: ctx.log });
    ctx.log.info(published, 'image pushed and confirmed');
    return { repository_uri: published.repositoryUri, image_ref: published.imageRef, digest: published.digest, tag: published.tag, repository_created: published.repositoryCreated };
  },
});
