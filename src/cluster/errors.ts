/** Errors from building, starting, stopping and inspecting the local cluster. Messages say what failed, where to look and how to fix it. */
import { NonRetryableError } from '../runtime/errors.ts';

/** Retrying the same command will not help: fix what the message names first. */
export class ClusterError extends NonRetryableError {}

/** A component exited or never became healthy; `log` holds its output. */
export class ComponentStartError extends ClusterError {
  constructor(
    readonly component: string,
    readonly log: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
