/**
 * Manual rollback of the production model, triggered from the Airflow UI's trigger form: puts
 * any version that was deployed before (its image is recorded on the version) back on the
 * cluster and in the registry. `to_version` names the version (empty: the registry's `previous`
 * alias), `reason` is required and recorded, `dry_run` only checks and logs the plan.
 *
 * plan_rollback checks everything before anything changes (the version exists and was
 * deployed, it is not production already, the cluster answers and runs the Deployment); an
 * unknown version, a version never deployed or an unreachable cluster is refused there, without
 * retries, and nothing changes. Then the Deployment is rolled to the version's image and
 * verified serving it (/health, /model-info, /predict), the registry's `production` and
 * `previous` aliases move and both versions carry the audit trail, and a notification says who
 * rolled back what and why.
 */
import { z } from 'zod';
import { dag, param } from '../dsl/index.ts';
import notifyManualRollback from '../tasks/notify-manual-rollback.ts';
import planRollback from '../tasks/plan-rollback.ts';
import restoreProductionVersion from '../tasks/restore-production-version.ts';
import rollDeploymentToVersion from '../tasks/roll-deployment-to-version.ts';
import { DAG_DEFAULTS, DEPLOYER_POD, RETRY_DEFAULTS, taskProfiles } from './dag-defaults.ts';
import { DEFAULT_NOTIFICATION_CHANNELS, NOTIFICATION_CHANNELS, rollbackTargetSchema } from './contract/index.ts';

/** The trigger form. */
export const rollbackParams = {
  to_version: param(rollbackTargetSchema.default(null), "The model version to put back in production (a number). Empty (null): the registry's 'previous' version."),
  // The DSL requires a default its schema accepts, so the empty text is the default and plan_rollback refuses it.
  reason: param(z.string().default(''), 'Required: why production is rolled back. Recorded on the replaced version and sent with the notification.'),
  dry_run: param(z.boolean().default(false), 'Only check and log the plan; change nothing.'),
  notification_channels: param(
    z.array(z.enum(NOTIFICATION_CHANNELS)).default([...DEFAULT_NOTIFICATION_CHANNELS]),
    "Where to announce the rollback: 'airflow' (the task log, always written; 'log' is an older name), 'email', 'slack'. A channel that is not configured is skipped with a warning.",
  ),
};

export default dag(
  'health_predict_rollback',
  {
    description: 'Manual rollback: put a version deployed before back on the cluster and in the registry.',
    schedule: null,
    ...DAG_DEFAULTS,
    tags: ['health-predict', 'mlops', 'rollback'],
    // As the pipeline: transient failures (MLflow or the API server answering 5xx) retry; refusals
    // and failed verifications are non-retryable and fail at once.
    defaultArgs: { ...RETRY_DEFAULTS, executionTimeout: { minutes: 10 } },
    dagrunTimeout: { hours: 1 },
    params: rollbackParams,
    profiles: taskProfiles({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } }),
  },
  (d) => {
    const plan = d.task(planRollback, { inputs: { to_version: d.params.to_version, reason: d.params.reason, dry_run: d.params.dry_run }, pod: DEPLOYER_POD });
    const rolled = d.task(rollDeploymentToVersion, { inputs: { plan: plan.output }, executionTimeout: { minutes: 20 }, pod: DEPLOYER_POD });
    const restored = d.task(restoreProductionVersion, { inputs: { plan: plan.output, rolled: rolled.output } });
    d.task(notifyManualRollback, { inputs: { plan: plan.output, rolled: rolled.output, restored: restored.output, channels: d.params.notification_channels } });
  },
);
