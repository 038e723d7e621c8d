/**
 * Contract of the cluster stages: the rollout, its verification, the health check and the
 * rollback. The k8s module owns the result shapes it produces; the task outputs build on them.
 */
import { z } from 'zod';
import { healthCheckSummarySchema } from '../../k8s/health-check.ts';
import { revisionRecordSchema } from '../../k8s/revision.ts';
import { clusterRollbackSchema } from '../../k8s/rollback.ts';
import { verifyResultSchema } from '../../k8s/verify.ts';
import { notificationChannelSchema } from './notifications.ts';

export { healthCheckSummarySchema, verifyResultSchema };

/** `deploy_to_kubernetes`: the release that rolled out and the one it replaced. */
export const deploymentSchema = z.object({
  namespace: z.string(),
  deployment: z.string(),
  service: z.string(),
  image: z.string(),
  model_name: z.string(),
  model_version: z.string(),
  revision: z.number().int(),
  previous: revisionRecordSchema.nullable(),
  rollout_s: z.number(),
  unchanged: z.boolean(),
});
export type Deployment = z.infer<typeof deploymentSchema>;

/** `rollback_deployment`: what was undone on the cluster and in the registry, and who was told. */
export const rollbackResultSchema = z.object({
  cluster: clusterRollbackSchema,
  registry: z.object({ restored: z.string(), failed: z.string() }).nullable(),
  detection_to_restored_s: z.number(),
  notified: z.array(notificationChannelSchema),
  /** Channels the rollback's notification did not reach, and why (reported, not a task failure). */
  not_notified: z.array(z.object({ channel: notificationChannelSchema, detail: z.string() })).default([]),
});
export type RollbackResult = z.infer<typeof rollbackResultSchema>;
