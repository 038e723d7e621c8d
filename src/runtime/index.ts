export { defineTask } from './define-task.ts';
export type { ObjectSchema, TaskDefinition, TaskInput, TaskOutput, TaskSpec } from './define-task.ts';
export type { RunOrigin, TaskContext } from './context.ts';
export {
  BadDataError,
  ConfigurationError,
  CredentialsRefusedError,
  HealthPredictError,
  InputContractError,
  NonRetryableError,
  OutputContractError,
  RetryableError,
  SkipTask,
  TaskError,
  exitCodeFor,
} from './errors.ts';
export { resolveInput } from './inputs.ts';
export { runTask } from './run-task.ts';
export type { TaskIO } from './run-task.ts';
export type { LogDestination } from './logger.ts';
export { main } from './main.ts';
export * from './contract.ts';
export type { SourceLocation } from './call-site.ts';
export { FAILURE_INPUT_FIELD, taskFailureSchema, type TaskFailure } from './failure.ts';
