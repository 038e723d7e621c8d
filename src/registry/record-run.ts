/**
 * The one MLflow run in which a DAG run records something (a drift check, a deployment
 * decision): found by its kind and DAG run id, created the first time. An Airflow retry of the
 * task finds the run its earlier try created and writes into it again instead of adding a
 * second one. The identifying tags are set when the run is created, so a try that fails right
 * after creating it still leaves a run the retry finds.
 */
import type { MlflowClient } from './client.ts';
import { DAG_RUN_ID_TAG } from './promotion.ts';
import { DAG_ID_TAG, KIND_TAG } from './run-tags.ts';

export interface RecordRunKey {
  readonly experimentName: string;
  /** health_predict.kind of the run (run-tags.ts). */
  readonly kind: string;
  readonly dagId: string;
  readonly dagRunId: string;
  /** Used when the run is created (cut to MLflow's 250 characters). */
  readonly runName: string;
}

/**
 * A search filter matching runs whose tag `key` is `value`. MLflow's search syntax has no escape
 * for quotes (`'a\'b'` parses but matches nothing): a value with single quotes goes in double
 * quotes, and one with both kinds becomes a LIKE pattern with `_` for each quote — which may
 * match more runs, so callers compare the tag exactly afterwards.
 */
export function tagEqualsFilter(key: string, value: string): string {
  if (!value.includes("'")) return `tags.\`${key}\` = '${value}'`;
  if (!value.includes('"')) return `tags.\`${key}\` = "${value}"`;
  return `tags.\`${key}\` LIKE '${value.replace(/['"%]/g, '_')}'`;
}

/** The tags that identify a record run: its kind, DAG and DAG run. */
export const recordRunTags = (key: Pick<RecordRunKey, 'kind' | 'dagId' | 'dagRunId'>): Record<string, string> => ({
  [KIND_TAG]: key.kind,
  [DAG_ID_TAG]: key.dagId,
  [DAG_RUN_ID_TAG]: key.dagRunId,
});

/** The id of the run of `key.kind` for `key.dagRunId` in the experiment, created (with its tags) when there is none. */
export async function findOrCreateRecordRun(client: MlflowClient, key: RecordRunKey): Promise<string> {
  const experiment = await client.experiments.getOrCreate(key.experimentName);
  const candidates = await client.runs.searchAll({
    experimentIds: [experiment.experimentId],
    filter: `${tagEqualsFilter(KIND_TAG, key.kind)} and ${tagEqualsFilter(DAG_RUN_ID_TAG, key.dagRunId)}`,
    orderBy: ['attributes.start_time ASC'],
  });
  const existing = candidates.find((run) => run.data.tags[KIND_TAG] === key.kind && run.data.tags[DAG_RUN_ID_TAG] === key.dagRunId);
  if (existing) return existing.info.runId;
  const created = await client.runs.create({ experimentId: experiment.experimentId, runName: key.runName.slice(0, 250), tags: recordRunTags(key) });
  return created.info.runId;
}
