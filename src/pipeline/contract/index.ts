/**
 * The pipeline contract: every schema the continuous-improvement and rollback tasks pass to each other
 * (their XCom), the environment they read, the deploy target and the gate settings. Tasks import these, never another
 * task; nothing here depends on the DSL. One file per stage, so that a task's bundle only
 * carries the stages it reads.
 */
export * from './deploy-target.ts';
export * from './drift.ts';
export * from './environment.ts';
export * from './gates.ts';
export * from './kubernetes.ts';
export * from './notifications.ts';
export * from './release.ts';
export * from './rollback.ts';
export * from './training.ts';
