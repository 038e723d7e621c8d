/**
 * What a Deployment says about its release: the revision the deployment controller numbered it,
 * the image, the model version (our annotations), and the records the tasks leave on it — the
 * revision that ran before the current release, and the failure a later task detected. They
 * live on the object because the rollback task may run when the deploy task failed and left no XCom.
 */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';

const PREFIX = 'health-predict.io';

export const LABELS = {
  instance: 'app.kubernetes.io/instance',
  modelName: `${PREFIX}/model-name`,
  modelVersion: `${PREFIX}/model-version`,
} as const;

export const ANNOTATIONS = {
  modelName: `${PREFIX}/model-name`,
  modelVersion: `${PREFIX}/model-version`,
  runId: `${PREFIX}/model-run-id`,
  image: `${PREFIX}/image`,
  previous: `${PREFIX}/previous-revision`,
  failure: `${PREFIX}/failure`,
  appliedBy: `${PREFIX}/applied-by`,
  /** The deployment controller's revision number (kubectl reads the same). */
  revision: 'deployment.kubernetes.io/revision',
} as const;

/** What a revision runs: the API image and the model version baked into it. */
const deployedFields = {
  image: z.string(),
  model_version: z.string().nullable(),
};

export const revisionRecordSchema = z.object({
  revision: z.number().int().nonnegative(),
  ...deployedFields,
  recorded_at: z.string(),
});
export type RevisionRecord = z.infer<typeof revisionRecordSchema>;

/** The deploy stages whose failure a task records on the Deployment, making it eligible for rollback. */
export const FAILURE_STAGES = ['rollout', 'verify', 'health_check'] as const;
export type FailureStage = (typeof FAILURE_STAGES)[number];

export const failureRecordSchema = z.object({
  stage: z.enum(FAILURE_STAGES),
  reason: z.string(),
  at: z.string(),
  ...deployedFields,
});
export type FailureRecord = z.infer<typeof failureRecordSchema>;

export const revisionOf = (object: { metadata?: { annotations?: Record<string, string> } }): number => {
  const value = Number(object.metadata?.annotations?.[ANNOTATIONS.revision]);
  return Number.isInteger(value) && value > 0 ? value : 0;
};

export const imageOf = (object: V1Deployment | V1ReplicaSet): string | undefined => object.spec?.template?.spec?.containers?.[0]?.image;

export const modelVersionOf = (object: V1Deployment | V1ReplicaSet): string | null =>
  object.spec?.template?.metadata?.annotations?.[ANNOTATIONS.modelVersion] ?? null;

/** The release a Deployment currently describes, as the record the next release keeps. */
export function currentRecord(deployment: V1Deployment, now: Date = new Date()): RevisionRecord {
  return { revision: revisionOf(deployment), image: imageOf(deployment) ?? '', model_version: modelVersionOf(deployment), recorded_at: now.toISOString() };
}

function readJson<T>(deployment: V1Deployment, key: string, schema: z.ZodType<T>): T | undefined {
  const raw = deployment.metadata?.annotations?.[key];
  if (!raw) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const previousRecordOf = (deployment: V1Deployment) => readJson(deployment, ANNOTATIONS.previous, revisionRecordSchema);
export const failureRecordOf = (deployment: V1Deployment) => readJson(deployment, ANNOTATIONS.failure, failureRecordSchema);

/** True when the Deployment's pod template is the given release (image and model version). */
export function templateIs(deployment: V1Deployment, release: { image?: string; modelVersion: string }): boolean {
  return (release.image === undefined || imageOf(deployment) === release.image) && modelVersionOf(deployment) === release.modelVersion;
}
