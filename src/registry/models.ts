/**
 * The model registry: registered models, versions (create → poll until READY), aliases and
 * tags. Stages are deprecated since MLflow 2.9: promote with an alias (e.g. `production`)
 * plus version tags; `transitionStage` exists only to keep stages in sync for old consumers.
 * Versions are strings on the wire (a number is a 400).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { MlflowConflictError, MlflowNotFoundError, MlflowRegistrationError, isMissingAlias } from './errors.ts';
import { collectPages } from './paging.ts';
import { type ModelVersion, type Page, type RegisteredModel, empty, modelVersion, registeredModel, tagList } from './schemas.ts';
import type { Transport } from './transport.ts';

const MODELS = '/api/2.0/mlflow/registered-models';
const VERSIONS = '/api/2.0/mlflow/model-versions';

export type Version = string | number;
/** MLflow's deprecated stages. */
export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived';

export interface CreateVersionOptions {
  name: string;
  /** Where the model's files are, e.g. the run's `mlflow-artifacts:/…/artifacts/model` or `runs:/<run>/model`. */
  source: string;
  runId?: string;
  tags?: Record<string, string>;
  description?: string;
}

export interface WaitOptions {
  /** Default 5 min. */
  timeoutMs?: number;
  /** Default 500 ms. */
  intervalMs?: number;
}

export interface SearchVersionsOptions {
  /** e.g. `name = 'health-predict'` or `run_id = '…'`. */
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

export function modelsApi(t: Transport) {
  const api = {
    async create(name: string, options: { description?: string; tags?: Record<string, string> } = {}): Promise<RegisteredModel> {
      const body = await t.json('POST', `${MODELS}/create`, z.object({ registered_model: registeredModel }), {
        json: { name, description: options.description, tags: tagList(options.tags) },
      });
      return body.registered_model;
    },

    /** The model with its tags, latest versions and aliases (alias → version), or undefined. */
    async get(name: string): Promise<RegisteredModel | undefined> {
      try {
        return (await t.json('GET', `${MODELS}/get`, z.object({ registered_model: registeredModel }), { query: { name } })).registered_model;
      } catch (error) {
        if (error instanceof MlflowNotFoundError) return undefined;
        throw error;
      }
    },

    /** The model `name`, created when missing (a concurrent create is fine). */
    async getOrCreate(name: string, options: { description?: string; tags?: Record<string, string> } = {}): Promise<RegisteredModel> {
      const found = await api.get(name);
      if (found) return found;
      try {
        return await api.create(name, options);
      } catch (error) {
        if (!(error instanceof MlflowConflictError)) throw error;
        const raced = await api.get(name);
        if (raced) return raced;
        throw error;
      }
    },

    async setTag(name: string, key: string, value: string): Promise<void> {
      await t.json('POST', `${MODELS}/set-tag`, empty, { json: { name, key, value } });
    },

    /** Creates a version; it may still be PENDING_REGISTRATION — see `waitUntilReady` / `registerVersion`. */
    async createVersion(options: CreateVersionOptions): Promise<ModelVersion> {
      // One attempt: a retry after a lost answer would register a second version.
      const body = await t.json('POST', `${VERSIONS}/create`, z.object({ model_version: modelVersion }), {
        json: { name: options.name, source: options.source, run_id: options.runId, tags: tagList(options.tags), description: options.description },
        once: true,
      });
      return body.model_version;
    },

    /** Throws MlflowNotFoundError for an unknown model or version. */
    async getVersion(name: string, version: Version): Promise<ModelVersion> {
      return (await t.json('GET', `${VERSIONS}/get`, z.object({ model_version: modelVersion }), { query: { name, version: String(version) } })).model_version;
    },

    /** Polls until READY; MlflowRegistrationError on FAILED_REGISTRATION (not retryable) or timeout (retryable). */
    async waitUntilReady(name: string, version: Version, options: WaitOptions = {}): Promise<ModelVersion> {
      const timeoutMs = options.timeoutMs ?? 300_000;
      const deadline = Date.now() + timeoutMs;
      const where = { method: 'GET', path: `${VERSIONS}/get` };
      for (;;) {
        const current = await api.getVersion(name, version);
        if (current.status === 'READY') return current;
        if (current.status === 'FAILED_REGISTRATION') {
          throw new MlflowRegistrationError(`Model ${name} version ${version} failed to register: ${current.statusMessage || 'no status message'}.`, { ...where, errorCode: 'FAILED_REGISTRATION' });
        }
        if (Date.now() > deadline) {
          throw new MlflowRegistrationError(`Model ${name} version ${version} is still ${current.status} after ${Math.round(timeoutMs / 1000)} s.`, where, true);
        }
        await sleep(options.intervalMs ?? 500);
      }
    },

    /** createVersion + waitUntilReady. */
    async registerVersion(options: CreateVersionOptions, wait: WaitOptions = {}): Promise<ModelVersion> {
      const created = await api.createVersion(options);
      return created.status === 'READY' ? created : api.waitUntilReady(created.name, created.version, wait);
    },

    async setVersionTag(name: string, version: Version, key: string, value: string): Promise<void> {
      await t.json('POST', `${VERSIONS}/set-tag`, empty, { json: { name, version: String(version), key, value } });
    },

    async deleteVersionTag(name: string, version: Version, key: string): Promise<void> {
      await t.json('DELETE', `${VERSIONS}/delete-tag`, empty, { json: { name, version: String(version), key } });
    },

    /** Points `alias` at `version` (moving it if it pointed elsewhere). */
    async setAlias(name: string, alias: string, version: Version): Promise<void> {
      await t.json('POST', `${MODELS}/alias`, empty, { json: { name, alias, version: String(version) } });
    },

    /**
     * The version `alias` points at, or undefined when the alias is not set. MLflow answers a
     * missing alias with 400 INVALID_PARAMETER_VALUE (not RESOURCE_DOES_NOT_EXIST); a missing
     * model is a 404 and throws MlflowNotFoundError.
     */
    async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
      try {
        return (await t.json('GET', `${MODELS}/alias`, z.object({ model_version: modelVersion }), { query: { name, alias } })).model_version;
      } catch (error) {
        if (!isMissingAlias(error)) throw error;
        const model = await api.get(name);
        if (!model) throw new MlflowNotFoundError(`Registered model '${name}' does not exist.`, { method: 'GET', path: `${MODELS}/get`, errorCode: 'RESOURCE_DOES_NOT_EXIST' });
        if (alias in model.aliases) throw error; // the alias exists after all: the 400 meant something else
        return undefined;
      }
    },

    /** Removes `alias` (no error when it is not set). DELETE with a JSON body: MLflow ignores query parameters here. */
    async deleteAlias(name: string, alias: string): Promise<void> {
      await t.json('DELETE', `${MODELS}/alias`, empty, { json: { name, alias } });
    },

    /**
     * Moves a version to a deprecated stage (MLflow-2-era consumers still read stages);
     * `archiveExisting` moves the versions currently in that stage to Archived. Transitioning
     * to the stage a version is already in succeeds, so a retry is harmless.
     */
    async transitionStage(name: string, version: Version, stage: ModelStage, options: { archiveExisting?: boolean } = {}): Promise<ModelVersion & { stage: string }> {
      const withStage = z.object({ model_version: modelVersion }).and(z.object({ model_version: z.object({ current_stage: z.string().default('None') }) }));
      const body = await t.json('POST', `${VERSIONS}/transition-stage`, withStage, {
        json: { name, version: String(version), stage, archive_existing_versions: options.archiveExisting ?? false },
      });
      const { current_stage: currentStage, ...transitioned } = body.model_version;
      return { ...transitioned, stage: currentStage };
    },

    /** Search answers never include aliases: read them with `get(name)`. */
    async searchVersions(options: SearchVersionsOptions = {}): Promise<Page<ModelVersion>> {
      const body = await t.json('GET', `${VERSIONS}/search`, z.object({ model_versions: z.array(modelVersion).default([]), next_page_token: z.string().optional() }), {
        query: { filter: options.filter, order_by: options.orderBy, max_results: options.maxResults ?? 1000, page_token: options.pageToken },
      });
      return { items: body.model_versions, nextPageToken: body.next_page_token || undefined };
    },

    searchAllVersions(options: Omit<SearchVersionsOptions, 'pageToken'> = {}, limit?: number): Promise<ModelVersion[]> {
      return collectPages((pageToken) => api.searchVersions({ ...options, pageToken }), limit);
    },
  };
  return api;
}
export type ModelsApi = ReturnType<typeof modelsApi>;
