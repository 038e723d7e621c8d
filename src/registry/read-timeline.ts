/**
 * Reads what the audit trail is built from: every version of the model (with its tags), the
 * decision runs and drift-triggered runs of the pipeline's experiment, and the experiment of
 * each run an entry links to.
 */
import { NonRetryableError } from '../runtime/errors.ts';
import type { MlflowClient } from './client.ts';
import { MlflowNotFoundError } from './errors.ts';
import { allVersions } from './production-history.ts';
import { AUDIT_TAG_PREFIX } from './promotion.ts';
import { DECISION_RUN_KIND, KIND_TAG, TRIGGER_TAG } from './run-tags.ts';
import type { Run } from './schemas.ts';
import type { TimelineSources } from './timeline.ts';

const DECISION_RUN_ID_TAG = `${AUDIT_TAG_PREFIX}decision_run_id`;

/** The model name matches no registered model. */
export class UnknownModelError extends NonRetryableError {}

export interface TimelineQuery {
  modelName: string;
  /** The experiment the pipeline records its decision runs in (MLFLOW_EXPERIMENT_NAME). */
  experimentName: string;
}

export async function readTimelineSources(client: MlflowClient, query: TimelineQuery): Promise<Omit<TimelineSources, 'now' | 'airflowRunUrl'>> {
  if (!(await client.models.get(query.modelName))) throw new UnknownModelError(`no registered model '${query.modelName}'`);
  const versions = await allVersions(client, query.modelName);
  const runs = await pipelineRuns(client, query.experimentName);
  const known = new Set(runs.map((run) => run.info.runId));
  const runExperiments: Record<string, string> = {};
  const linked = versions.flatMap((v) => [v.runId, v.tags[DECISION_RUN_ID_TAG]]).filter((id): id is string => Boolean(id));
  for (const runId of new Set(linked)) {
    if (known.has(runId)) continue;
    try {
      runExperiments[runId] = (await client.runs.get(runId)).info.experimentId;
    } catch (error) {
      if (!(error instanceof MlflowNotFoundError)) throw error; // a deleted run: its entries carry no link
    }
  }
  return { trackingUri: client.trackingUri, versions, runs, runExperiments };
}

const quoted = (value: string) => `'${value}'`;

/** Decision runs and runs of drift-triggered DAG runs, each once; none when the experiment does not exist yet. */
async function pipelineRuns(client: MlflowClient, experimentName: string): Promise<Run[]> {
  const experiment = await client.experiments.getByName(experimentName);
  if (!experiment) return [];
  const search = (filter: string) => client.runs.searchAll({ experimentIds: [experiment.experimentId], filter, orderBy: ['attributes.start_time ASC'] });
  const decisions = await search(`tags.\`${KIND_TAG}\` = ${quoted(DECISION_RUN_KIND)}`);
  const drift = await search(`tags.\`${TRIGGER_TAG}\` = ${quoted('drift')}`);
  const byId = new Map([...decisions, ...drift].map((run) => [run.info.runId, run]));
  return [...byId.values()];
}
