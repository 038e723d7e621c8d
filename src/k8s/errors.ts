/** What can go wrong on the cluster, as task errors: retryable when trying again can help. */
import { ConfigurationError, NonRetryableError, RetryableError } from '../runtime/errors.ts';

/** The API server could not be reached or answered 5xx/429; Airflow retries the task. */
export class ClusterUnavailableError extends RetryableError {}

/** The configuration (env, kubeconfig, manifests) is wrong; retrying cannot help. */
export class K8sConfigError extends ConfigurationError {}

/** The API server refused a request (4xx other than 404/409/429): RBAC, admission, validation. */
export class K8sRequestRefusedError extends NonRetryableError {}

/** An object the step needs does not exist (wrong namespace or name, or nothing deployed yet). */
export class K8sNotFoundError extends NonRetryableError {}

/** The rollout ended in ProgressDeadlineExceeded or did not complete in the task's time. */
export class RolloutFailedError extends NonRetryableError {
  constructor(
    message: string,
    readonly reason: 'ProgressDeadlineExceeded' | 'Timeout',
  ) {
    super(message);
  }
}

/** The new pods, the Service's endpoints or the served model version are not what was deployed. */
export class VerificationError extends NonRetryableError {}

/** The health check window ended outside its budgets (or with too little data to judge). */
export class HealthCheckFailedError extends NonRetryableError {}

/** kubectl rollout undo's own refusals: no history, paused deployment, revision gone. */
export class UndoError extends NonRetryableError {}
