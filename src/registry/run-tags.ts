/**
 * The tags the pipeline's DAGs write on MLflow runs that the audit trail (`health-predict
 * history`) reads back. The registry's own version tags live in production-history.ts and
 * promotion.ts.
 *
 *   health_predict.kind          'deployment_decision' on the one run per gate decision (gates/decision-run.ts);
 *                                'drift_check' on the one run per drift check (drift/record.ts)
 *   health_predict.dag_id        the DAG, and health_predict.dag_run_id (promotion.ts) the DAG run, a run was recorded by
 *   health_predict.trigger       what started the DAG run: manual | schedule | drift
 *   health_predict.drift_level   on runs of a drift-triggered DAG run: the drift decision that fired it (src/drift: MINOR, MODERATE, MAJOR, PERFORMANCE_DROP)
 *   health_predict.drift_report  on runs of a drift-triggered DAG run: the drift report (object store URI) that fired it
 *   health_predict.manifest_uri  on a champion's run: the manifest.json of the data it was trained on (drift monitoring's reference)
 *   health_predict.drift_action  on a drift check run: what the check did, retrain | warn | none (drift/alerts.ts); its
 *                                health_predict.drift_level is the check's decision (NONE included)
 *   health_predict.batch_index   on a drift check run: the index of the arrived batch it measured
 *   health_predict.production_version  on decision and drift check runs: the production version compared against ('none' without one)
 */
export const KIND_TAG = 'health_predict.kind';
export const DECISION_RUN_KIND = 'deployment_decision';
export const DRIFT_CHECK_KIND = 'drift_check';
export const DAG_ID_TAG = 'health_predict.dag_id';
export const TRIGGER_TAG = 'health_predict.trigger';
export const DRIFT_LEVEL_TAG = 'health_predict.drift_level';
export const DRIFT_ACTION_TAG = 'health_predict.drift_action';
export const BATCH_INDEX_TAG = 'health_predict.batch_index';
export const PRODUCTION_VERSION_TAG = 'health_predict.production_version';
export const DRIFT_REPORT_TAG = 'health_predict.drift_report';
export const MANIFEST_URI_TAG = 'health_predict.manifest_uri';
export const TRIGGERS = ['manual', 'schedule', 'drift'] as const;
export type Trigger = (typeof TRIGGERS)[number];
