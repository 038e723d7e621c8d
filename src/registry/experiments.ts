/** Experiments: get by id or name, create, get-or-create (safe against a concurrent create), search, tags. */
import { z } from 'zod';
import { MlflowConflictError, MlflowNotFoundError } from './errors.ts';
import { type Experiment, type Page, empty, experiment, tagList } from './schemas.ts';
import type { Transport } from './transport.ts';

const API = '/api/2.0/mlflow/experiments';

export interface CreateExperimentOptions {
  artifactLocation?: string;
  tags?: Record<string, string>;
}

export interface SearchExperimentsOptions {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

export function experimentsApi(t: Transport) {
  const api = {
    /** Throws MlflowNotFoundError when there is no experiment `experimentId`. */
    async get(experimentId: string): Promise<Experiment> {
      const body = await t.json('GET', `${API}/get`, z.object({ experiment }), { query: { experiment_id: experimentId } });
      return body.experiment;
    },

    /** The experiment (active or deleted) called `name`, or undefined. */
    async getByName(name: string): Promise<Experiment | undefined> {
      try {
        const body = await t.json('GET', `${API}/get-by-name`, z.object({ experiment }), { query: { experiment_name: name } });
        return body.experiment;
      } catch (error) {
        if (error instanceof MlflowNotFoundError) return undefined;
        throw error;
      }
    },

    /** Creates `name` and returns its id; MlflowConflictError when the name is taken (also by a deleted experiment). */
    async create(name: string, options: CreateExperimentOptions = {}): Promise<string> {
      const body = await t.json('POST', `${API}/create`, z.object({ experiment_id: z.string() }), {
        json: { name, artifact_location: options.artifactLocation, tags: tagList(options.tags) },
      });
      return body.experiment_id;
    },

    /**
     * The active experiment `name`, created when missing. A concurrent creator winning the race
     * (RESOURCE_ALREADY_EXISTS) is fine: we read theirs. A deleted experiment of that name is a
     * conflict to resolve by hand (restore it, or purge it with `mlflow gc`).
     */
    async getOrCreate(name: string, options: CreateExperimentOptions = {}): Promise<Experiment> {
      for (let round = 0; round < 2; round++) {
        const found = await api.getByName(name);
        if (found) {
          if (found.lifecycleStage !== 'active') {
            throw new MlflowConflictError(
              `MLflow experiment '${name}' (id ${found.experimentId}) exists but is ${found.lifecycleStage}. Restore it (\`mlflow experiments restore --experiment-id ${found.experimentId}\`) or purge it (\`mlflow gc\`), or use another name.`,
              { method: 'GET', path: `${API}/get-by-name`, errorCode: 'RESOURCE_ALREADY_EXISTS' },
            );
          }
          return found;
        }
        try {
          return await api.get(await api.create(name, options));
        } catch (error) {
          if (!(error instanceof MlflowConflictError)) throw error;
          // created by someone else between our lookup and our create: read it
        }
      }
      throw new MlflowConflictError(`MLflow experiment '${name}' could neither be found nor created; it is being created and deleted concurrently.`, {
        method: 'POST',
        path: `${API}/create`,
      });
    },

    async search(options: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
      const body = await t.json('POST', `${API}/search`, z.object({ experiments: z.array(experiment).default([]), next_page_token: z.string().optional() }), {
        json: { filter: options.filter, order_by: options.orderBy, max_results: options.maxResults ?? 1000, page_token: options.pageToken, view_type: options.viewType },
      });
      return { items: body.experiments, nextPageToken: body.next_page_token || undefined };
    },

    async setTag(experimentId: string, key: string, value: string): Promise<void> {
      await t.json('POST', `${API}/set-experiment-tag`, empty, { json: { experiment_id: experimentId, key, value } });
    },
  };
  return api;
}
export type ExperimentsApi = ReturnType<typeof experimentsApi>;
