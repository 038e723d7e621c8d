/** ECR and registry failures, classified for the task runtime. */
import { TaskError } from '../runtime/errors.ts';

/** ECR or the registry did not answer (after our retries): Airflow's retry may succeed. */
export class RegistryUnavailableError extends TaskError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, true, options);
  }
}
