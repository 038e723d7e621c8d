import { ConfigurationError, HealthPredictError, NonRetryableError, TaskError } from '../runtime/errors.ts';
import type { DeliveryResult } from './notification.ts';

/** A requested channel has no usable configuration; retrying cannot help, setting the env vars can. */
export class NotifyConfigError extends ConfigurationError {}

/** One failed delivery attempt, classified for the retry loop. */
export class DeliveryAttemptError extends HealthPredictError {
  constructor(
    message: string,
    /** True when the same request would be refused again (SMTP 5xx, HTTP 4xx but 429). */
    readonly permanent: boolean,
    /** The server's Retry-After, in ms, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message, { retryable: !permanent });
  }
}

/** Some channels failed, at least one of them transiently: a task retry may get through. */
export class NotificationDeliveryError extends TaskError {
  constructor(
    message: string,
    readonly results: readonly DeliveryResult[],
  ) {
    super(message, true);
  }
}

/** Every failed channel refused for good (bad credentials, revoked webhook): a task retry would not help. */
export class NotificationRefusedError extends NonRetryableError {
  constructor(
    message: string,
    readonly results: readonly DeliveryResult[],
  ) {
    super(message);
  }
}
