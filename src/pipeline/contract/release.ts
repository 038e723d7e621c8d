/**
 * Contract of the release stages before the cluster: the registry promotion, the API image,
 * its local test and its push to ECR.
 */
import { z } from 'zod';
import { apiSuiteResultSchema } from '../../api-checks/suite.ts';
import { gateOutcomeSchema } from '../../gates/outcome.ts';

/** What the deploy stages need of a promotion: which version of which model. */
export const promotedVersionSchema = z.object({ model_name: z.string(), version: z.string() });
export type PromotedVersion = z.infer<typeof promotedVersionSchema>;

/** `register_and_promote_model`: the new production version, carrying the gate outcome on. */
export const promotionSchema = promotedVersionSchema.extend({
  previous_version: z.string().nullable(),
  promoted_at: z.string(),
  reused: z.boolean(),
  source: z.string(),
  outcome: gateOutcomeSchema,
});
export type Promotion = z.infer<typeof promotionSchema>;

/** `build_api_image`: the prediction service's image with the promoted model baked in. */
export const imageBuildSchema = z.object({
  image: z.string(),
  image_id: z.string(),
  tag: z.string(),
  model_name: z.string(),
  model_version: z.string(),
  run_id: z.string(),
  build_ms: z.number(),
});
export type ImageBuild = z.infer<typeof imageBuildSchema>;

/** `test_api_locally`: the API suite's checks and latency against the new image. */
export const apiTestResultSchema = apiSuiteResultSchema.extend({ image: z.string() });

/** `push_to_ecr`: where the tested image now lives. */
export const imagePushSchema = z.object({ repository_uri: z.string(), image_ref: z.string(), digest: z.string(), tag: z.string(), repository_created: z.boolean() });
export type ImagePush = z.infer<typeof imagePushSchema>;
