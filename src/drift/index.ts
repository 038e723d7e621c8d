/**
 * Drift monitoring's statistics and decision: PSI, KS and chi-square per feature, drift of
 * the predicted probabilities, and the NONE / MINOR / MODERATE / MAJOR / PERFORMANCE_DROP
 * decision (pure, deterministic functions); what a check does about it, with a cooldown kept in
 * the object store (alerts.ts); the check's report (report.ts), its picture (picture.ts) and its
 * MLflow run (record.ts).
 *
 * Why TypeScript, not scipy or Evidently in the ML environment: the drift tasks read the batch
 * with src/data and score it with onnxruntime-node, both Node; computing the statistics in the
 * same process avoids a Python hop, a second CSV reader and a second copy of the feature roles.
 * The statistics are small enough to own and are tested against values scipy computed
 * (test/unit/drift/scipy-fixtures.py). The one special function that is easy to get wrong in
 * the tail, the regularized incomplete gamma behind the chi-square p-value, comes from
 * @stdlib/math-base-special-gammainc (a port of Boost's gamma_q, with its own TypeScript types,
 * released 2026-03); jstat, the other candidate, brings a whole statistics library for one call.
 */
export * from './psi.ts';
export * from './ks.ts';
export * from './chi2.ts';
export * from './feature-drift.ts';
export * from './config.ts';
export * from './decide.ts';
export * from './alerts.ts';
export * from './report.ts';
export * from './picture.ts';
export * from './record.ts';
