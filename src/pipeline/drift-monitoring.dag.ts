/**
 * Drift monitoring: every three hours, the next batch of arriving admissions is measured against
 * the rows the production model learnt from — PSI (with KS or chi²) per feature, drift of the
 * model's predicted probabilities, and its F1 on the labelled batch. The level (NONE, MINOR,
 * MODERATE, MAJOR, or PERFORMANCE_DROP when F1 fell) decides: MODERATE or worse, or a
 * performance drop, starts health_predict_continuous_improvement on the reference data plus
 * the batches that arrived; MINOR sends a warning; both at most once per
 * DRIFT_ALERT_COOLDOWN_HOURS. The report (JSON and a picture) goes to the object store and to
 * MLflow.
 *
 * Locally, arrival is simulated from the raw file's held-back rows (after the first 20 %), in
 * order, `batch_size` rows per run; in a deployment, set `arrivals_uri` to the prefix new raw
 * CSV files land under. Thresholds: DRIFT_THRESHOLD_MINOR / _MODERATE / _MAJOR (0.05 / 0.15 /
 * 0.30) and DRIFT_PERFORMANCE_DROP (0.05) in the tasks' environment.
 */
import { z } from 'zod';
import { dag, param } from '../dsl/index.ts';
import measureDrift from '../tasks/measure-drift.ts';
import notifyDriftAlert from '../tasks/notify-drift-alert.ts';
import takeNextBatch from '../tasks/take-next-batch.ts';
import { DAG_DEFAULTS, objectUriParam, RETRY_DEFAULTS, taskProfiles } from './dag-defaults.ts';
import { DEFAULT_NOTIFICATION_CHANNELS, NOTIFICATION_CHANNELS } from './contract/index.ts';
import improvement, { pipelineParams } from './health-predict.dag.ts';

/** The trigger form; a scheduled run takes the defaults. */
export const driftParams = {
  raw_data_uri: param(
    pipelineParams.raw_data_uri.schema,
    "The raw file the first production model came from. Its held-back rows (after the first 20 %) arrive in order when arrivals_uri is empty, and a retraining started here trains on its first 20 % plus the batches.",
  ),
  arrivals_uri: param(objectUriParam.nullable().default(null), 'A prefix new raw CSV files arrive under (a deployment): each run takes the oldest file not taken yet. Empty (null): simulate arrival from the held-back rows of raw_data_uri.'),
  batch_size: param(z.number().int().min(100).max(1_000_000).default(10_000), 'Raw rows per simulated batch (held-back rows only; a file under arrivals_uri is one batch).'),
  monitoring_uri: param(objectUriParam.default('s3://health-predict-data/monitoring'), 'Where the cursor, the batches, the alert state and the drift reports are kept.'),
  trigger_retraining: param(z.boolean().default(true), 'Start health_predict_continuous_improvement on MODERATE or worse drift or a performance drop. false: report and notify only.'),
  deploy_target: param(pipelineParams.deploy_target.schema, `How far a retraining started here deploys a model that passes the gates (the improvement DAG's deploy_target): ${pipelineParams.deploy_target.description}`),
  notification_channels: param(
    z.array(z.enum(NOTIFICATION_CHANNELS)).default([...DEFAULT_NOTIFICATION_CHANNELS]),
    "Where drift alerts go: 'airflow' (the task log, always written; 'log' is an older name), 'email', 'slack'. A channel that is not configured is skipped with a warning.",
  ),
};

export default dag(
  'health_predict_drift_monitoring',
  {
    description: 'Measure the next batch of arriving data for drift; retrain on MODERATE or worse, warn on MINOR.',
    schedule: '0 */3 * * *',
    // A deployment changes it without a rebuild: DRIFT_MONITORING_SCHEDULE where Airflow parses DAG files.
    scheduleEnv: 'DRIFT_MONITORING_SCHEDULE',
    ...DAG_DEFAULTS,
    tags: ['health-predict', 'mlops', 'drift'],
    defaultArgs: { ...RETRY_DEFAULTS, executionTimeout: { minutes: 30 } },
    dagrunTimeout: { hours: 2 },
    params: driftParams,
    profiles: taskProfiles({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } }),
  },
  (d) => {
    const taken = d.task(takeNextBatch, {
      inputs: { raw_data_uri: d.params.raw_data_uri, arrivals_uri: d.params.arrivals_uri, batch_size: d.params.batch_size, monitoring_uri: d.params.monitoring_uri },
    });
    const measured = d.task(measureDrift, { inputs: { taken: taken.output, monitoring_uri: d.params.monitoring_uri, trigger_retraining: d.params.trigger_retraining } });
    const action = d.branch('drift_action_branch', {
      on: measured.field('action'),
      doc: "'retrain' starts the improvement DAG, 'warn' sends the MINOR warning, 'none' ends the run (no drift, or inside the cooldown).",
    });

    // The improvement DAG's one-run-at-a-time limit queues a trigger behind a running retraining.
    const retrain = d.trigger(improvement, {
      id: 'trigger_continuous_improvement',
      after: [action.when('retrain')],
      doc: 'Starts the retraining: the reference data plus every batch that arrived, tested on the newest rows; its quality gates decide whether the new model replaces production.',
      conf: {
        raw_data_uri: d.params.raw_data_uri,
        training_batches: measured.field('training_batches'),
        drift_level: measured.field('level'),
        drift_report_uri: measured.field('report_uri'),
        notification_channels: d.params.notification_channels,
        deploy_target: d.params.deploy_target,
      },
    });
    const retrainNotice = d.task(notifyDriftAlert, {
      id: 'notify_drift_retraining',
      after: [retrain],
      inputs: { drift: measured.output, channels: d.params.notification_channels, triggered_dag_id: improvement.dagId },
    });
    const warning = d.task(notifyDriftAlert, { id: 'notify_drift_warning', after: [action.when('warn')], inputs: { drift: measured.output, channels: d.params.notification_channels } });
    const quiet = d.empty('no_action', { after: [action.when('none')], doc: 'No drift worth acting on, or an alert inside the cooldown (the reason is in measure_drift’s log).' });
    d.empty('end', { after: [retrainNotice, warning, quiet], triggerRule: 'none_failed_min_one_success', doc: 'Joins the three outcomes.' });
  },
);
