/** ECR and registry failures, classified for the task runtime. */
import { RetryableError } from '../runtime/errors.ts';

/** ECR or the registry did not answer (after our retries): Airflow's retry may succeed. */
export class RegistryUnavailableError extends RetryableError {}
