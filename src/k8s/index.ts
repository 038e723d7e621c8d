/** Deploying the prediction API to any Kubernetes cluster in KUBECONFIG: apply, follow, verify, health-check, roll back. */
export { k8sConfigFromEnv, K8S_ENV_VARS, type HealthCheckBudget, type K8sConfig } from './config.ts';
export { connectCluster, withCluster, type Cluster, type ProxyAnswer } from './client.ts';
export { renderManifests, labelValue, type Manifests, type Release } from './manifests.ts';
export { applyRelease, ensureNamespace, recordFailure, FIELD_MANAGER, type AppliedRelease } from './apply.ts';
export { rolloutStatus, TIMED_OUT_REASON, type RolloutState } from './rollout-status.ts';
export { waitForRollout, type RolloutResult } from './rollout.ts';
export { planUndo, replicaSetForRevision, undoDeployment, ownedReplicaSets, equalIgnoreHash, ANNOTATIONS_TO_SKIP, type UndoPlan } from './undo.ts';
export { verifyDeployment, newReplicaSet, verifyResultSchema, type VerifyResult } from './verify.ts';
export { runHealthCheck, summarise, checkPrediction, healthCheckSummarySchema, type HealthCheckSummary, type Probe } from './health-check.ts';
export { applyPullSecret, dockerConfigJson, type RegistryLogin } from './pull-secret.ts';
export { rollbackCluster, clusterRollbackSchema, type ClusterRollback } from './rollback.ts';
export { rollToVersion, rollToVersionResultSchema, type RollToVersionResult, type RollToVersionTarget } from './roll-to-version.ts';
export { ANNOTATIONS, LABELS, currentRecord, failureRecordOf, previousRecordOf, revisionOf, revisionRecordSchema, templateIs, type FailureRecord, type RevisionRecord } from './revision.ts';
export * from './errors.ts';
