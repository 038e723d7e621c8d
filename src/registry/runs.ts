/** Runs: create, get, update/end, search (with paging), batched logging, tags, metric history. */
import { z } from 'zod';
import { type BatchInput, type BatchLimits, BATCH_LIMITS, chunkBatch } from './batch.ts';
import { collectPages } from './paging.ts';
import { type Metric, type Page, type Run, type RunInfo, type RunStatus, empty, metric, run, runInfo, tagList } from './schemas.ts';
import type { Transport } from './transport.ts';

const API = '/api/2.0/mlflow/runs';

export interface CreateRunOptions {
  experimentId: string;
  runName?: string;
  /** ms since the epoch (default: now). */
  startTime?: number;
  tags?: Record<string, string>;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  /** MLflow search syntax, e.g. `tags.model_type = 'xgboost' and metrics.auc > 0.6`. */
  filter?: string;
  /** e.g. ['metrics.auc DESC', 'attributes.start_time DESC']. */
  orderBy?: string[];
  /** Page size (MLflow allows up to 50000; default 1000). */
  maxResults?: number;
  pageToken?: string;
  runViewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

export function runsApi(t: Transport, limits: BatchLimits = BATCH_LIMITS) {
  const api = {
    async create(options: CreateRunOptions): Promise<Run> {
      const body = await t.json('POST', `${API}/create`, z.object({ run }), {
        json: { experiment_id: options.experimentId, run_name: options.runName, start_time: options.startTime ?? Date.now(), tags: tagList(options.tags) },
      });
      return body.run;
    },

    /** Throws MlflowNotFoundError for an unknown run id. */
    async get(runId: string): Promise<Run> {
      return (await t.json('GET', `${API}/get`, z.object({ run }), { query: { run_id: runId } })).run;
    },

    async update(runId: string, changes: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
      const body = await t.json('POST', `${API}/update`, z.object({ run_info: runInfo }), {
        json: { run_id: runId, status: changes.status, end_time: changes.endTime, run_name: changes.runName },
      });
      return body.run_info;
    },

    /** Marks the run terminated now with `status` (default FINISHED). */
    end(runId: string, status: Exclude<RunStatus, 'RUNNING' | 'SCHEDULED'> = 'FINISHED'): Promise<RunInfo> {
      return api.update(runId, { status, endTime: Date.now() });
    },

    async search(options: SearchRunsOptions): Promise<Page<Run>> {
      const body = await t.json('POST', `${API}/search`, z.object({ runs: z.array(run).default([]), next_page_token: z.string().optional() }), {
        json: {
          experiment_ids: options.experimentIds,
          filter: options.filter,
          order_by: options.orderBy,
          max_results: options.maxResults ?? 1000,
          page_token: options.pageToken,
          run_view_type: options.runViewType,
        },
      });
      return { items: body.runs, nextPageToken: body.next_page_token || undefined };
    },

    /** Every matching run, following page tokens (`maxResults` is the page size), up to `limit`. */
    searchAll(options: Omit<SearchRunsOptions, 'pageToken'>, limit?: number): Promise<Run[]> {
      return collectPages((pageToken) => api.search({ ...options, pageToken }), limit);
    },

    /** Logs metrics, params and tags in as many log-batch requests as MLflow's limits need. Returns the request count. */
    async logBatch(runId: string, batch: BatchInput): Promise<number> {
      const chunks = chunkBatch(batch, limits);
      for (const chunk of chunks) await t.json('POST', `${API}/log-batch`, empty, { json: { run_id: runId, ...chunk } });
      return chunks.length;
    },

    /** `{auc: 0.81, …}` at one step. */
    async logMetrics(runId: string, metrics: Record<string, number>, options: { step?: number; timestamp?: number } = {}): Promise<void> {
      await api.logBatch(runId, { metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, ...options })) });
    },

    /** Params are write-once in MLflow: logging a different value for a logged key is a 400 INVALID_PARAMETER_VALUE. */
    async logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
      await api.logBatch(runId, { params });
    },

    async setTag(runId: string, key: string, value: string): Promise<void> {
      await t.json('POST', `${API}/set-tag`, empty, { json: { run_id: runId, key, value } });
    },

    async deleteTag(runId: string, key: string): Promise<void> {
      await t.json('POST', `${API}/delete-tag`, empty, { json: { run_id: runId, key } });
    },

    /** Every logged value of one metric (runs/get only reports the latest). */
    async metricHistory(runId: string, key: string): Promise<Metric[]> {
      return collectPages(async (pageToken) => {
        const body = await t.json('GET', '/api/2.0/mlflow/metrics/get-history', z.object({ metrics: z.array(metric).default([]), next_page_token: z.string().optional() }), {
          query: { run_id: runId, metric_key: key, max_results: 25_000, page_token: pageToken },
        });
        return { items: body.metrics, nextPageToken: body.next_page_token || undefined };
      });
    },
  };
  return api;
}
export type RunsApi = ReturnType<typeof runsApi>;
