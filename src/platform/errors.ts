/** Errors from the local Airflow compose platform. Messages say what failed, where to look and how to fix it. */
import { HealthPredictError } from '../runtime/errors.ts';

/** The root of the platform's errors; retrying the same command will not help until the cause is fixed. */
export class PlatformError extends HealthPredictError {}

/** Building Docker Compose from the Go module proxy failed; the message carries the end of the build output. */
export class ComposeBuildError extends PlatformError {}

/** A Docker Compose binary cannot be used: not executable, its version unreadable or older than the platform needs. */
export class ComposeVersionError extends PlatformError {}
