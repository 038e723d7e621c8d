export { createMlflowClient, mlflowClientFromEnv } from './client.ts';
export type { MlflowClient, MlflowClientOptions } from './client.ts';
export {
  MlflowAuthError,
  MlflowBadRequestError,
  MlflowConflictError,
  MlflowError,
  MlflowNotFoundError,
  MlflowProtocolError,
  MlflowRegistrationError,
  MlflowUnavailableError,
} from './errors.ts';
export type { MlflowErrorDetails } from './errors.ts';
export type { MlflowAuth, RetryEvent } from './transport.ts';
export type { RetryOptions } from './retry.ts';
export { BATCH_LIMITS, chunkBatch } from './batch.ts';
export type { BatchInput, MetricInput } from './batch.ts';
export type { ArtifactEntry, RunRef } from './artifacts.ts';
export type { CreateRunOptions, SearchRunsOptions } from './runs.ts';
export type { CreateVersionOptions, SearchVersionsOptions, Version, WaitOptions } from './models.ts';
export type { CreateExperimentOptions, SearchExperimentsOptions } from './experiments.ts';
export type { Experiment, Metric, ModelVersion, Page, RegisteredModel, Run, RunInfo, RunStatus } from './schemas.ts';
export type { ModelStage } from './models.ts';
export {
  AUDIT_TAG_PREFIX,
  DAG_RUN_ID_TAG,
  MODEL_FILES,
  PREVIOUS_ALIAS,
  PRODUCTION_ALIAS,
  PromotionError,
  productionAt,
  productionVersion,
  promoteRunModel,
  restorePrevious,
} from './promotion.ts';
export type { PromotionRequest, PromotionResult, RestoreOptions } from './promotion.ts';
export { AuditTrailError, DEPLOYED_AT_TAG, PERIODS_TAG, ROLLBACK_TAG, TAG_VALUE_LIMIT_BYTES, readPeriods, readRollback } from './production-history.ts';
export type { ProductionPeriod, RollbackRecord } from './production-history.ts';
export { DEPLOYED_TO_TAG, IMAGE_TAG, deployedImageOf, pinnedImage, recordDeployedImage } from './deployed-image.ts';
export type { DeployedImage } from './deployed-image.ts';
export { defaultRestoreTarget, planRestoreVersion, restoreVersion } from './restore-version.ts';
export type { RestorePlan, RestoreVersionOptions, RestoreVersionResult } from './restore-version.ts';
