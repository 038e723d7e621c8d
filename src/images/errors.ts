/** Failures of the image path, classified for the task runtime: retry (exit 1) or not (exit 97). */
import { NonRetryableError, RetryableError } from '../runtime/errors.ts';

/** The Docker daemon did not answer (not started, restarting, socket gone): a later retry may succeed. */
export class DockerUnavailableError extends RetryableError {}

/** The daemon refused a request (bad Dockerfile, missing file in the context, bad parameters): the same request fails again. */
export class DockerRequestError extends NonRetryableError {}

/** The builder reported an error in its output stream; `builderMessage` is its own words. */
export class ImageBuildError extends NonRetryableError {
  constructor(
    message: string,
    readonly builderMessage: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The builder could not reach a registry (pulling the base image): a later retry may succeed. */
export class BuildNetworkError extends RetryableError {
  constructor(
    message: string,
    readonly builderMessage: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Something the build needs is missing (API bundle, model file, runtime package): fix the inputs, not the worker. */
export class BuildInputError extends NonRetryableError {}

/** The container exited before it became ready: the image or its model is broken. */
export class ContainerExitedError extends NonRetryableError {}

/** The container kept running but never answered ready before the deadline (possibly a slow machine). */
export class ContainerNotReadyError extends RetryableError {}

/** The base image could not be made (mirror unreachable, debootstrap failed): retry, or see the message. */
export class BaseImageError extends RetryableError {}
