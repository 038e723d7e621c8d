/**
 * A model's history written to a real MLflow the way the pipeline writes it: decision runs
 * (recordDecision), promotions (promoteRunModel), a refresh, an automatic rollback
 * (restorePrevious), a SKIP decided in a drift-triggered DAG run, and a version with
 * unreadable audit tags. Shared by the timeline and `history` command tests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type GateDecision } from '../../../src/gates/decide.ts';
import { recordDecision } from '../../../src/gates/decision-run.ts';
import { type MlflowClient, type Run, promoteRunModel, restorePrevious } from '../../../src/registry/index.ts';
import { unique } from './helpers.ts';

export const DAG_ID = 'health_predict_continuous_improvement';
export const ROLLBACK_REASON = 'verify_deployment failed: 0/2 pods ready';
export const SKIP_SUMMARY = 'Decision: SKIP. The candidate improves F1 by +0.0040, below the 0.0100 threshold.';

export interface BuiltHistory {
  modelName: string;
  experimentName: string;
  /** Experiment of the decision runs. */
  decisionExperimentId: string;
  /** Experiment of the model runs (another one: their links need a lookup). */
  modelExperimentId: string;
  modelRuns: { v1: string; v2: string };
  decisionRuns: { first: string; skip: string; refresh: string };
  /** A time after the first promotion and before everything else. */
  afterFirstPromotion: Date;
}

async function modelRun(mlflow: MlflowClient, experimentId: string): Promise<Run> {
  const run = await mlflow.runs.create({ experimentId });
  await mlflow.artifacts.upload(run.info.runId, 'model/model.onnx', Buffer.from([1, 2, 3]));
  await mlflow.artifacts.upload(run.info.runId, 'model/metadata.json', '{"threshold":0.5}');
  return run;
}

function decision(kind: GateDecision['decision'], summary: string, bootstrap = false): GateDecision {
  return { decision: kind, forced: false, bootstrap_deploy: bootstrap, rules: [], reasons: [summary], summary };
}

async function decide(mlflow: MlflowClient, experimentName: string, dagRunId: string, gate: GateDecision, candidate: Run): Promise<string> {
  return recordDecision(mlflow, {
    experimentName,
    dagId: DAG_ID,
    dagRunId,
    decision: gate,
    comparison: null,
    candidate: { runId: candidate.info.runId, modelType: 'lr', f1: 0.61 },
    production: null,
    roc: [],
    details: {},
  });
}

const audit = (dagRunId: string, decisionRunId: string, extra: Record<string, string>) => ({
  forced: 'false',
  bootstrap_deploy: 'false',
  model_type: 'lr',
  decision_run_id: decisionRunId,
  dag_id: DAG_ID,
  dag_run_id: dagRunId,
  ...extra,
});

const wait = { timeoutMs: 30_000, intervalMs: 100 };

export async function buildHistory(mlflow: MlflowClient): Promise<BuiltHistory> {
  const modelName = unique('history-model');
  const experimentName = unique('history-decisions');
  const decisionExperimentId = (await mlflow.experiments.getOrCreate(experimentName)).experimentId;
  const modelExperimentId = (await mlflow.experiments.getOrCreate(unique('history-training'))).experimentId;
  const v1Run = await modelRun(mlflow, modelExperimentId);
  const v2Run = await modelRun(mlflow, modelExperimentId);

  const first = await decide(mlflow, experimentName, 'scheduled__1', decision('DEPLOY', 'Decision: DEPLOY. No production model yet.', true), v1Run);
  await mlflow.runs.setTag(first, 'health_predict.trigger', 'schedule');
  await promoteRunModel(mlflow, {
    modelName,
    runId: v1Run.info.runId,
    artifactPath: 'model',
    audit: audit('scheduled__1', first, { decision: 'DEPLOY', bootstrap_deploy: 'true', delta_f1: 'n/a', delta_f1_lower_bound: 'n/a' }),
    wait,
  });
  await sleep(20);
  const afterFirstPromotion = new Date();
  await sleep(20);

  const skip = await decide(mlflow, experimentName, 'drift__2', decision('SKIP', SKIP_SUMMARY), v2Run);
  await mlflow.runs.setTag(skip, 'health_predict.trigger', 'drift');
  await mlflow.runs.setTag(skip, 'health_predict.drift_level', 'MODERATE');
  await sleep(5);

  const refresh = await decide(mlflow, experimentName, 'scheduled__3', decision('DEPLOY_REFRESH', 'Decision: DEPLOY_REFRESH. Production is degrading.'), v2Run);
  await promoteRunModel(mlflow, {
    modelName,
    runId: v2Run.info.runId,
    artifactPath: 'model',
    audit: audit('scheduled__3', refresh, { decision: 'DEPLOY_REFRESH', delta_f1: '0.0100', delta_f1_lower_bound: '-0.0020' }),
    wait,
  });
  await sleep(5);
  await restorePrevious(mlflow, modelName, ROLLBACK_REASON);
  await sleep(5);

  await mlflow.models.registerVersion(
    { name: modelName, source: `${v2Run.info.artifactUri}/model`, runId: v2Run.info.runId, tags: { 'health_predict.production_periods': 'not json', 'health_predict.rollback': '{"reason":' } },
    wait,
  );
  return {
    modelName,
    experimentName,
    decisionExperimentId,
    modelExperimentId,
    modelRuns: { v1: v1Run.info.runId, v2: v2Run.info.runId },
    decisionRuns: { first, skip, refresh },
    afterFirstPromotion,
  };
}
