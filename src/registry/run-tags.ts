/**
 * The tags the pipeline's DAGs write on MLflow runs that the audit trail (`health-predict
 * history`) reads back. The registry's own version tags live in production-history.ts and
 * promotion.ts.
 *
 *   health_predict.kind          'deployment_decision' on the one run per gate decision (gates/decision-run.ts)
 *   health_predict.trigger       what started the DAG run: manual | schedule | drift
 *   health_predict.drift_level   on runs of a drift-triggered DAG run: the drift decision that fired it (src/drift: MINOR, MODERATE, MAJOR, PERFORMANCE_DROP)
 */
export const KIND_TAG = 'health_predict.kind';
export const DECISION_RUN_KIND = 'deployment_decision';
export const TRIGGER_TAG = 'health_predict.trigger';
export const DRIFT_LEVEL_TAG = 'health_predict.drift_level';
export const TRIGGERS = ['manual', 'schedule', 'drift'] as const;
export type Trigger = (typeof TRIGGERS)[number];
