/**
 * The continuous-improvement DAG: data preparation, training with HPO, champion evaluation, the
 * quality gates against production, the decision branch, then either registry promotion → API
 * image → local API test → ECR push → Kubernetes rollout → verification → health check (with an
 * automatic rollback on failure) or the skip record, and notifications. Started by hand, or by
 * health_predict_drift_monitoring with the batches that arrived (training_batches).
 */
import { z } from 'zod';
import { dag, param } from '../dsl/index.ts';
import buildApiImage from '../tasks/build-api-image.ts';
import deployToKubernetes from '../tasks/deploy-to-kubernetes.ts';
import compareAgainstProduction from '../tasks/compare-against-production.ts';
import evaluateModelPerformance from '../tasks/evaluate-model-performance.ts';
import logSkipDecision from '../tasks/log-skip-decision.ts';
import notifyDeploymentSuccess from '../tasks/notify-deployment-success.ts';
import notifyNoDeployment from '../tasks/notify-no-deployment.ts';
import notifyPipelineFailure from '../tasks/notify-pipeline-failure.ts';
import postDeploymentHealthCheck from '../tasks/post-deployment-health-check.ts';
import pushToEcr from '../tasks/push-to-ecr.ts';
import prepareTrainingData from '../tasks/prepare-training-data.ts';
import registerAndPromoteModel from '../tasks/register-and-promote-model.ts';
import rollbackDeployment from '../tasks/rollback-deployment.ts';
import runTrainingAndHpo from '../tasks/run-training-and-hpo.ts';
import testApiLocally from '../tasks/test-api-locally.ts';
import verifyDeployment from '../tasks/verify-deployment.ts';
import { DAG_DEFAULTS, DEPLOYER_POD, DOCKER_POD, objectUriParam, RETRY_DEFAULTS, taskProfiles } from './dag-defaults.ts';
import { DEFAULT_NOTIFICATION_CHANNELS, GATE_SETTINGS, NOTIFICATION_CHANNELS, deployTargetSchema, driftDecisionLevelSchema } from './contract/index.ts';

/** Per-run overrides shown in Airflow's trigger form. */
export const pipelineParams = {
  raw_data_uri: param(objectUriParam.default('s3://health-predict-data/raw/diabetic_data.csv'), 'The raw UCI diabetes CSV (s3://… or file:///…).'),
  prepared_data_uri: param(objectUriParam.default('s3://health-predict-data/prepared'), 'Where each run writes its splits and manifest (under <uri>/<run id>/).'),
  improvement_threshold: param(
    GATE_SETTINGS.improvement_threshold.range.nullable().default(null),
    `${GATE_SETTINGS.improvement_threshold.description} Empty (null): the environment's ${GATE_SETTINGS.improvement_threshold.env}, else ${GATE_SETTINGS.improvement_threshold.default}.`,
  ),
  force_deployment: param(z.boolean().default(false), 'Deploy even if the quality gates say no (recorded as forced).'),
  skip_api_tests: param(z.boolean().default(false), 'Emergency only: skip the local API test of the new image.'),
  notification_channels: param(
    z.array(z.enum(NOTIFICATION_CHANNELS)).default([...DEFAULT_NOTIFICATION_CHANNELS]),
    "Where to send the outcome: 'airflow' (the task log, always written; 'log' is an older name), 'email', 'slack'. A channel that is not configured is skipped with a warning.",
  ),
  deploy_target: param(
    deployTargetSchema.default('kubernetes'),
    "How far the deploy path goes after promotion: 'kubernetes' (image, API test, ECR push, rollout), 'ecr' (stop after the push), 'registry' (promote in MLflow only).",
  ),
  rollback_on_failure: param(z.boolean().default(true), 'Roll back automatically when the deployment fails verification.'),
  training_batches: param(
    z.array(objectUriParam).default([]),
    "Batches of raw rows that arrived after raw_data_uri (oldest first), set by health_predict_drift_monitoring. Empty: raw_data_uri's usual split. Set: train on raw_data_uri's first 20 % plus these batches; validate and test (and compare with production) on held-out rows of the newest batch.",
  ),
  drift_level: param(driftDecisionLevelSchema.nullable().default(null), 'Set by health_predict_drift_monitoring: the drift level that started this run, recorded with the decision for the audit trail.'),
  drift_report_uri: param(z.string().nullable().default(null), 'Set by health_predict_drift_monitoring: the drift report behind this run.'),
};

export default dag(
  'health_predict_continuous_improvement',
  {
    description: 'Train, gate against production, and deploy (or record why not) the readmission model.',
    schedule: null,
    ...DAG_DEFAULTS,
    tags: ['health-predict', 'mlops'],
    // Every task has a time limit (the long ones set their own) and so does the whole run.
    defaultArgs: { ...RETRY_DEFAULTS, executionTimeout: { minutes: 30 } },
    dagrunTimeout: { hours: 6 },
    params: pipelineParams,
    profiles: taskProfiles({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } }),
  },
  (d) => {
    const start = d.empty('start', { doc: 'Marks the start of a run.' });
    const prepare = d.task(prepareTrainingData, {
      after: [start],
      executionTimeout: { hours: 1 },
      inputs: { source_uri: d.params.raw_data_uri, output_uri: d.params.prepared_data_uri, per_run: true, batches: d.params.training_batches },
    });
    const train = d.task(runTrainingAndHpo, { inputs: { manifest: prepare.output }, executionTimeout: { hours: 2 } });
    const evaluate = d.task(evaluateModelPerformance, { inputs: { training: train.output, manifest: prepare.output } });
    const compare = d.task(compareAgainstProduction, {
      inputs: {
        evaluation: evaluate.output,
        manifest: prepare.output,
        improvement_threshold: d.params.improvement_threshold,
        force_deployment: d.params.force_deployment,
        drift_level: d.params.drift_level,
        drift_report_uri: d.params.drift_report_uri,
      },
    });
    const decision = d.branch('deployment_decision_branch', {
      on: compare.field('decision'),
      doc: 'DEPLOY and DEPLOY_REFRESH take the deploy path; SKIP records why not.',
    });

    const promote = d.task(registerAndPromoteModel, { after: [decision.when('DEPLOY', 'DEPLOY_REFRESH')], inputs: { outcome: compare.output } });
    const image = d.task(buildApiImage, { inputs: { promotion: promote.output, deploy_target: d.params.deploy_target }, executionTimeout: { minutes: 30 }, pod: DOCKER_POD });
    const apiTest = d.task(testApiLocally, {
      inputs: { image: image.output, outcome: compare.output, manifest: prepare.output, skip_api_tests: d.params.skip_api_tests },
      executionTimeout: { minutes: 15 },
      pod: DOCKER_POD,
    });
    // Runs after a passed API test, or after one skipped on purpose (skip_api_tests), never after a failed one.
    const push = d.task(pushToEcr, { after: [apiTest], inputs: { image: image.output }, triggerRule: 'none_failed_min_one_success', pod: DOCKER_POD });
    const rollout = d.task(deployToKubernetes, {
      inputs: { promotion: promote.output, pushed: push.output, deploy_target: d.params.deploy_target },
      executionTimeout: { minutes: 20 },
      pod: DEPLOYER_POD,
    });
    const verify = d.task(verifyDeployment, { inputs: { deployment: rollout.output }, executionTimeout: { minutes: 10 }, pod: DEPLOYER_POD });
    const healthCheck = d.task(postDeploymentHealthCheck, { after: [verify], inputs: { deployment: rollout.output }, executionTimeout: { minutes: 20 }, pod: DEPLOYER_POD });
    // A failure anywhere after promotion (image, API test, push, rollout, verification, health
    // check): undo on the cluster when it runs the failed candidate (src/k8s/rollback.ts), move
    // the registry's production alias back, notify. The run still ends failed through the
    // failed task and its downstream. one_failed also fires on upstream_failed, so a failure
    // before promotion would reach it too: skipUnlessSucceeded skips it (reason in its log)
    // unless promotion succeeded in this run, leaving nothing of this run to roll back.
    d.task(rollbackDeployment, {
      after: [rollout, verify, healthCheck],
      inputs: { promotion: promote.output, rollback_on_failure: d.params.rollback_on_failure, deploy_target: d.params.deploy_target, channels: d.params.notification_channels },
      triggerRule: 'one_failed',
      skipUnlessSucceeded: [promote],
      executionTimeout: { minutes: 20 },
      pod: DEPLOYER_POD,
    });
    // After the last deploy stage: runs when it succeeded or was left out by deploy_target
    // (skipped), never when a stage failed; on the skip path promotion is skipped, so this is too.
    // Its only upstreams are the health check and the promotion (which carries the gate outcome).
    const deployed = d.task(notifyDeploymentSuccess, {
      after: [healthCheck],
      inputs: { promotion: promote.output, channels: d.params.notification_channels, deploy_target: d.params.deploy_target },
      triggerRule: 'none_failed_min_one_success',
    });

    const skip = d.task(logSkipDecision, { after: [decision.when('SKIP')], inputs: { outcome: compare.output } });
    const skipped = d.task(notifyNoDeployment, { inputs: { outcome: compare.output, skip: skip.output, channels: d.params.notification_channels } });

    d.empty('end', { after: [deployed, skipped], triggerRule: 'none_failed_min_one_success', doc: 'Joins the deploy and skip paths.' });
    d.onFailure(notifyPipelineFailure, { inputs: { channels: d.params.notification_channels } });
  },
);
