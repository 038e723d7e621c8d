/**
 * What the project's DAGs share: start date, no catch-up, one run at a time, the owner, Airflow's
 * retries backing off exponentially (5 min, then 10, capped at 30), and where their tasks run —
 * a bash process locally, a pod of the task image in a cluster. Plain data, so a DAG file spreads
 * it into its options and sets only what is its own; and the schema of a URI param.
 */
import { z } from 'zod';

/** A param holding an object or prefix URI (the trigger form checks the scheme; the task checks the rest). */
export const objectUriParam = z.string().regex(/^(s3:\/\/|file:\/\/\/)/);

export const DAG_DEFAULTS = { startDate: '2024-01-01', catchup: false, maxActiveRuns: 1, owner: 'health-predict' };

export const RETRY_DEFAULTS = { retries: 2, retryDelay: { minutes: 5 }, retryExponentialBackoff: true, maxRetryDelay: { minutes: 30 } };

/** The `local` and `cluster` profiles, the pods asking for `resources`. */
export function taskProfiles(resources: { requests: { cpu: string; memory: string }; limits: { memory: string } }) {
  return {
    local: { kind: 'bash' as const },
    // One image holding Node, the task bundles and the ML environment (built by a later issue).
    cluster: { kind: 'kubernetes' as const, image: 'health-predict-tasks:latest', namespace: 'health-predict', resources },
  };
}
