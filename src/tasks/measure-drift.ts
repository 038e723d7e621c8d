import { z } from 'zod';
import { readBatchRows } from '../data/batch-rows.ts';
import { manifestSchema } from '../data/manifest.ts';
import { createObjectStore, joinUri, objectUriSchema } from '../data/object-store.ts';
import { readSplitRows } from '../data/read-split.ts';
import { decideAction, driftCooldownHoursFromEnv, driftReportSchema, driftReportSvg, driftThresholdsFromEnv, measureDrift, readAlertState, recordAlert, recordDriftCheck } from '../drift/index.ts';
import { productionModel } from '../gates/production-model.ts';
import { driftCheckSchema, loadDriftEnv, takenBatchSchema, type DriftCheck } from '../pipeline/contract/drift.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { MANIFEST_URI_TAG } from '../registry/run-tags.ts';
import { NonRetryableError, defineTask } from '../runtime/index.ts';

/**
 * Measures the batch against the production model's training rows (the manifest its champion
 * run names): PSI with KS or chi² for every feature, the PSI and KS of the production model's
 * predicted probabilities, and its F1 on the labelled batch against its recorded test F1. Decides
 * NONE / MINOR / MODERATE / MAJOR / PERFORMANCE_DROP (DRIFT_THRESHOLD_* and DRIFT_PERFORMANCE_DROP),
 * then the action: 'retrain' on MODERATE or worse or a performance drop, 'warn' on MINOR, each at
 * most once per DRIFT_ALERT_COOLDOWN_HOURS. Writes the report (JSON and a picture) under
 * `<monitoring_uri>/reports/` and as an MLflow run.
 */
export default defineTask({
  id: 'measure-drift',
  description: 'Drift monitoring: feature, prediction and performance drift of the batch; the level and the action after the cooldown.',
  input: z.object({
    taken: takenBatchSchema,
    monitoring_uri: objectUriSchema.describe('Where reports and the alert state are kept'),
    trigger_retraining: z.boolean().default(true).describe("false: report only, never 'retrain'"),
  }),
  output: driftCheckSchema,
  run: async ({ taken, monitoring_uri, trigger_retraining }, ctx): Promise<DriftCheck> => {
    const env = loadPipelineEnv();
    const { DRIFT_MLFLOW_EXPERIMENT_NAME } = loadDriftEnv();
    const thresholds = driftThresholdsFromEnv(process.env);
    const cooldownHours = driftCooldownHoursFromEnv(process.env);
    const client = mlflowClientFromEnv();
    const store = createObjectStore({ log: ctx.log });

    const production = await productionModel(client, env.MODEL_NAME);
    if (!production) throw new NonRetryableError(`No version of '${env.MODEL_NAME}' is in production any more (take_next_batch saw one): nothing to measure drift against.`);
    const run = await client.runs.get(production.runId);
    const manifestUri = run.data.tags[MANIFEST_URI_TAG];
    const referenceF1 = run.data.metrics.test_f1;
    if (!manifestUri || referenceF1 === undefined) {
      throw new NonRetryableError(
        `Production version ${production.version.version} of '${env.MODEL_NAME}' (run ${production.runId}) has no ${MANIFEST_URI_TAG} tag or test_f1 metric, so the rows it learnt from and its test F1 are unknown. Models trained by this release record both; run health_predict_continuous_improvement to put one in production.`,
      );
    }
    const manifest = manifestSchema.parse(JSON.parse((await store.get(manifestUri)).body.toString('utf8')));
    const [reference, batch] = await Promise.all([readSplitRows(store, manifest.files.train), readBatchRows(store, taken.batch.uri)]);
    ctx.log.info({ reference: manifest.files.train.uri, reference_rows: reference.length, batch: taken.batch.uri, batch_rows: batch.rows.length, production_version: production.version.version }, 'measuring the batch against the production model’s training rows');

    const scorer = await production.load();
    const [referenceProbabilities, batchProbabilities] = await (async () => {
      try {
        return [await scorer.score(reference), await scorer.score(batch.rows)] as const;
      } finally {
        scorer.dispose();
      }
    })();
    const now = new Date();
    const measured = measureDrift({
      reference,
      batch: batch.rows,
      features: manifest.features,
      referenceProbabilities,
      batchProbabilities,
      threshold: scorer.threshold,
      referenceF1,
      thresholds,
    });
    const alerts = await readAlertState(store, monitoring_uri);
    const decided = decideAction(measured.decision, alerts, now, cooldownHours, { dagRunId: ctx.origin.runId });
    const action = decided.action === 'retrain' && !trigger_retraining ? { ...decided, action: 'none' as const, reason: `${decided.reason} Not triggered: trigger_retraining is false.` } : decided;
    ctx.log.info({ level: measured.decision.level, score: measured.decision.score, source: measured.decision.score_source, action: action.action }, action.reason);
    for (const reason of measured.decision.reasons) ctx.log.info(reason);

    const report = driftReportSchema.parse({
      ...measured,
      batch: { index: taken.batch.index, uri: taken.batch.uri, rows: batch.rows.length },
      production: { model_name: env.MODEL_NAME, version: production.version.version, run_id: production.runId, reference_uri: manifest.files.train.uri, reference_rows: reference.length },
      created_at: now.toISOString(),
      action,
    });
    const folder = joinUri(monitoring_uri, `reports/batch-${String(taken.batch.index).padStart(4, '0')}`);
    const reportUri = joinUri(folder, 'drift_report.json');
    const pictureUri = joinUri(folder, 'drift_report.svg');
    const svg = driftReportSvg(report);
    await store.put(reportUri, `${JSON.stringify(report, null, 2)}\n`, 'application/json');
    await store.put(pictureUri, svg, 'image/svg+xml');
    const runId = await recordDriftCheck(client, { experimentName: DRIFT_MLFLOW_EXPERIMENT_NAME, dagId: ctx.origin.dagId, dagRunId: ctx.origin.runId, report, svg });
    ctx.log.info({ report_uri: reportUri, picture_uri: pictureUri, mlflow_run_id: runId }, `drift report written to ${reportUri}`);
    if (action.action !== 'none') {
      await recordAlert(store, monitoring_uri, alerts, action.action, { at: now.toISOString(), dag_run_id: ctx.origin.runId, level: measured.decision.level, batch_index: taken.batch.index });
    }

    const { decision, performance } = measured;
    return {
      level: decision.level,
      drift_level: decision.drift_level,
      score: decision.score,
      score_source: decision.score_source,
      action: action.action,
      action_reason: action.reason,
      reasons: decision.reasons,
      batch_index: taken.batch.index,
      batch_rows: batch.rows.length,
      batch_f1: performance.batch_f1,
      reference_f1: performance.reference_f1,
      model_name: env.MODEL_NAME,
      production_version: production.version.version,
      report_uri: reportUri,
      picture_uri: pictureUri,
      mlflow_run_id: runId,
      training_batches: taken.arrived,
    };
  },
});
