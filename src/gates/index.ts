/**
 * The quality gates: configuration, the paired comparison of candidate and production,
 * McNemar's test, the deployment decision and the recommendations that follow it. Pure,
 * deterministic functions; the task scripts do the I/O.
 */
export * from './config.ts';
export * from './distributions.ts';
export * from './mcnemar.ts';
export * from './operating-point.ts';
export * from './compare.ts';
export * from './rules.ts';
export * from './decide.ts';
export * from './recommendations.ts';
