import { HostError } from '../host/errors.ts';

/** Errors from starting, stopping and inspecting the local stack. Messages say what failed, where to look and how to fix it. */
export class StackError extends HostError {}

/** A service process exited or never became healthy; `log` is the file holding its output. */
export class ServiceStartError extends StackError {
  constructor(
    readonly service: string,
    readonly log: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
