/**
 * Zod schemas of MLflow's REST answers, turned into camelCase values. Quirks handled here:
 * empty lists are omitted (`{}` instead of `{"runs": []}`); int64 timestamps may arrive as
 * strings; metric values may be the strings "NaN"/"Infinity"; tags and aliases come as
 * lists and become records.
 */
import { z } from 'zod';

const int64 = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number);
const optionalInt64 = int64.optional();

const keyValue = z.object({ key: z.string(), value: z.string().default('') });
const keyValues = z
  .array(keyValue)
  .default([])
  .transform((items) => Object.fromEntries(items.map((item) => [item.key, item.value])) as Record<string, string>);

/** A record as MLflow's list of `{ key, value }` (what requests send; `keyValues` reads it back). */
export const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));

export const metricValue = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).transform(Number);

export const experiment = z
  .object({
    experiment_id: z.string(),
    name: z.string(),
    artifact_location: z.string().default(''),
    lifecycle_stage: z.string(),
    creation_time: optionalInt64,
    last_update_time: optionalInt64,
    tags: keyValues,
  })
  .transform((e) => ({
    experimentId: e.experiment_id,
    name: e.name,
    artifactLocation: e.artifact_location,
    lifecycleStage: e.lifecycle_stage,
    creationTime: e.creation_time,
    lastUpdateTime: e.last_update_time,
    tags: e.tags,
  }));
export type Experiment = z.output<typeof experiment>;

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runInfo = z
  .object({
    run_id: z.string(),
    experiment_id: z.string(),
    run_name: z.string().default(''),
    user_id: z.string().default(''),
    status: z.enum(RUN_STATUSES),
    start_time: optionalInt64,
    end_time: optionalInt64,
    artifact_uri: z.string(),
    lifecycle_stage: z.string(),
  })
  .transform((i) => ({
    runId: i.run_id,
    experimentId: i.experiment_id,
    runName: i.run_name,
    userId: i.user_id,
    status: i.status,
    startTime: i.start_time,
    endTime: i.end_time,
    artifactUri: i.artifact_uri,
    lifecycleStage: i.lifecycle_stage,
  }));
export type RunInfo = z.output<typeof runInfo>;

export const metric = z
  .object({ key: z.string(), value: metricValue, timestamp: int64, step: int64.default(0) })
  .transform((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step }));
export type Metric = z.output<typeof metric>;

export const run = z
  .object({
    info: runInfo,
    data: z
      .object({ metrics: z.array(metric).default([]), params: keyValues, tags: keyValues })
      .default({ metrics: [], params: {}, tags: {} }),
  })
  .transform((r) => ({
    info: r.info,
    data: {
      /** The latest value of each metric (runs/get reports only that). */
      metrics: Object.fromEntries(r.data.metrics.map((m) => [m.key, m.value])) as Record<string, number>,
      params: r.data.params,
      tags: r.data.tags,
    },
  }));
export type Run = z.output<typeof run>;

export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;

/** A version number: a string in most answers, a number in some. */
const versionNumber = z.union([z.string(), z.number()]).transform(String);

/** What a registered model and each of its versions both carry. */
const registryEntry = z.object({
  name: z.string(),
  creation_timestamp: optionalInt64,
  last_updated_timestamp: optionalInt64,
  description: z.string().default(''),
  tags: keyValues,
});
const fromRegistryEntry = (e: z.output<typeof registryEntry>) => ({
  name: e.name,
  creationTimestamp: e.creation_timestamp,
  lastUpdatedTimestamp: e.last_updated_timestamp,
  description: e.description,
  tags: e.tags,
});

export const modelVersion = registryEntry
  .extend({
    version: versionNumber,
    current_stage: z.string().optional(),
    source: z.string().default(''),
    run_id: z.string().default(''),
    status: z.enum(MODEL_VERSION_STATUSES),
    status_message: z.string().optional(),
    run_link: z.string().optional(),
    aliases: z.array(z.string()).default([]),
  })
  .transform((v) => ({
    ...fromRegistryEntry(v),
    version: v.version,
    source: v.source,
    runId: v.run_id || undefined,
    status: v.status,
    statusMessage: v.status_message,
    /** Only model-versions/get and get-by-alias fill this; search answers always omit it. */
    aliases: v.aliases,
  }));
export type ModelVersion = z.output<typeof modelVersion>;

export const registeredModel = registryEntry
  .extend({
    latest_versions: z.array(modelVersion).default([]),
    aliases: z
      .array(z.object({ alias: z.string(), version: versionNumber }))
      .default([])
      .transform((items) => Object.fromEntries(items.map((a) => [a.alias, a.version])) as Record<string, string>),
  })
  .transform((m) => ({
    ...fromRegistryEntry(m),
    latestVersions: m.latest_versions,
    /** alias → version. */
    aliases: m.aliases,
  }));
export type RegisteredModel = z.output<typeof registeredModel>;

export const artifactEntry = z
  .object({ path: z.string(), is_dir: z.boolean().default(false), file_size: optionalInt64 })
  .transform((f) => ({ path: f.path, isDir: f.is_dir, fileSize: f.file_size }));

/** A page of a search; `nextPageToken` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export const empty = z.looseObject({});
