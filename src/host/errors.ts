import { HealthPredictError } from '../runtime/errors.ts';

/** Errors from the host utilities (locks, processes). Messages say what failed, where to look and how to fix it. */
export class HostError extends HealthPredictError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
