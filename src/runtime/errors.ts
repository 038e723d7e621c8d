import { EXIT_NON_RETRYABLE, EXIT_RETRYABLE, EXIT_SKIP } from './contract.ts';

/** Base of errors a task may throw on purpose; `retryable` decides whether Airflow retries. */
export class TaskError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Ends the task as "skipped" (exit 99); downstream tasks follow their trigger rules. */
export class SkipTask extends TaskError {
  constructor(readonly reason: string) {
    super(`The task skipped itself: ${reason}`, false);
  }
}

/** Fails the task without using up its retries (exit 97): retrying cannot help. */
export class NonRetryableError extends TaskError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, false, options);
  }
}

/** The data the task received is wrong; fix the data or the upstream task, not the worker. */
export class BadDataError extends NonRetryableError {}

/** A service refused the task's credentials; retrying with the same ones would fail again. */
export class CredentialsRefusedError extends NonRetryableError {}

/** The task's input is missing or does not match its input schema. */
export class InputContractError extends NonRetryableError {}

/** `run()` returned a value that does not match the output schema: a bug in the task. */
export class OutputContractError extends NonRetryableError {}

/** The process exit code for an error thrown out of a task. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof SkipTask) return EXIT_SKIP;
  if (error instanceof TaskError && !error.retryable) return EXIT_NON_RETRYABLE;
  return EXIT_RETRYABLE;
}
