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
