import { EXIT_NON_RETRYABLE, EXIT_RETRYABLE, EXIT_SKIP } from './contract.ts';

export interface HealthPredictErrorOptions extends ErrorOptions {
  /** Whether trying again may succeed; a deliberate error is final unless it says so. */
  readonly retryable?: boolean;
}

/**
 * The root of every error the project throws on purpose. `retryable` decides whether Airflow
 * retries a task that ends with it: false exits 97 (fails without using up retries).
 */
export class HealthPredictError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: HealthPredictErrorOptions = {}) {
    const { retryable = false, ...errorOptions } = options;
    super(message, errorOptions);
    this.retryable = retryable;
    this.name = new.target.name;
  }
}

/** An error a task script throws on purpose, saying whether a retry can help. */
export class TaskError extends HealthPredictError {
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, { ...options, retryable });
  }
}

/** Ends the task as "skipped" (exit 99); downstream tasks follow their trigger rules. */
export class SkipTask extends TaskError {
  constructor(readonly reason: string) {
    super(`The task skipped itself: ${reason}`, false);
  }
}

/** Fails the task so that Airflow retries it (exit 1): a service was unavailable, a later try may succeed. */
export class RetryableError extends TaskError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, true, options);
  }
}

/** Fails the task without using up its retries (exit 97): retrying cannot help. */
export class NonRetryableError extends TaskError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, false, options);
  }
}

/** A setting (environment variable, config file, DAG param) is invalid: a retry would read the same value. */
export class ConfigurationError extends NonRetryableError {}

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
  if (error instanceof HealthPredictError && !error.retryable) return EXIT_NON_RETRYABLE;
  return EXIT_RETRYABLE;
}
