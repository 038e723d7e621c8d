/**
 * `health-predict history`: the model's audit trail (production periods, promotions, refreshes,
 * rollbacks, SKIP decisions, drift triggers) read from the registry and MLflow, printed as
 * aligned columns (newest last) or, with --json, as one JSON array (registry/timeline.ts).
 */
import { z } from 'zod';
import { notifyConfigFromEnv } from '../../notify/config.ts';
import { airflowRunUrl } from '../../notify/render.ts';
import { pipelineEnvSchema } from '../../pipeline/contract/environment.ts';
import { MlflowError, MlflowUnavailableError, mlflowClientFromEnv } from '../../registry/index.ts';
import { UnknownModelError, readTimelineSources } from '../../registry/read-timeline.ts';
import { type TimelineEntry, type TimelineKind, buildTimeline } from '../../registry/timeline.ts';
import { CliUsageError } from '../options.ts';

export interface HistoryOptions {
  modelName: string;
  experimentName: string;
  since?: Date;
  limit?: number;
  json: boolean;
}

const historyArgs = z.object({
  model: z.string().min(1).optional(),
  experiment: z.string().min(1).optional(),
  since: z
    .string()
    .refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO date or time, e.g. 2030-01-31 or 2030-01-31T12:00:00Z')
    .transform((value) => new Date(value))
    .optional(),
  limit: z.number().int('a whole number').positive('at least 1').optional(),
  json: z.boolean().default(false),
});

/** The command's options; the model and experiment default to the pipeline's (MODEL_NAME, MLFLOW_EXPERIMENT_NAME). */
export function resolveHistoryOptions(argv: unknown, env: Record<string, string | undefined>): HistoryOptions {
  const parsed = historyArgs.safeParse(argv);
  if (!parsed.success) throw new CliUsageError(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
  const defaults = pipelineEnvSchema.pick({ MODEL_NAME: true, MLFLOW_EXPERIMENT_NAME: true }).safeParse(env);
  const fallback = defaults.success ? defaults.data : { MODEL_NAME: 'health-predict-readmission', MLFLOW_EXPERIMENT_NAME: 'health-predict' };
  const { model, experiment, since, limit, json } = parsed.data;
  return { modelName: model ?? fallback.MODEL_NAME, experimentName: experiment ?? fallback.MLFLOW_EXPERIMENT_NAME, json, ...(since ? { since } : {}), ...(limit ? { limit } : {}) };
}

export interface HistoryIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => Date;
}

/** Prints the history; resolves with the exit code (1 when MLflow cannot answer or the model does not exist). */
export async function runHistory(options: HistoryOptions, io: HistoryIo): Promise<number> {
  const now = io.now?.() ?? new Date();
  let entries: TimelineEntry[];
  let trackingUri = io.env.MLFLOW_TRACKING_URI ?? '';
  try {
    const client = mlflowClientFromEnv(io.env as NodeJS.ProcessEnv, { retry: { attempts: 3, timeoutMs: 15_000 } });
    trackingUri = client.trackingUri;
    const sources = await readTimelineSources(client, { modelName: options.modelName, experimentName: options.experimentName });
    const airflowBaseUrl = notifyConfigFromEnv(io.env).airflowBaseUrl;
    const airflowLink = airflowBaseUrl ? { airflowRunUrl: (dagId: string, dagRunId: string) => airflowRunUrl(airflowBaseUrl, dagId, dagRunId) } : {};
    entries = buildTimeline({ ...sources, ...airflowLink, now }, { since: options.since, limit: options.limit });
  } catch (error) {
    if (error instanceof UnknownModelError) io.stderr(`${error.message} in MLflow at ${trackingUri}. Check --model (or MODEL_NAME).\n`);
    else if (error instanceof MlflowUnavailableError) io.stderr(`MLflow at ${trackingUri} is unreachable, so there is no history to show: ${error.message}\nStart it (\`health-predict stack up\`) or point MLFLOW_TRACKING_URI at a running server.\n`);
    else if (error instanceof MlflowError) io.stderr(`Cannot read the history from MLflow: ${error.message}\n`);
    else throw error;
    return 1;
  }
  io.stdout(options.json ? `${JSON.stringify(entries, null, 2)}\n` : formatTimeline(entries, options, now));
  return 0;
}

const LABEL: Record<TimelineKind, string> = {
  production_period: 'in production',
  promotion: 'promotion',
  refresh: 'refresh',
  rollback: 'rollback',
  skip: 'skip',
  drift: 'drift trigger',
  warning: 'warning',
};
const WIDTH = 100;
const WHEN = 19;
const KIND = 13;
const VERSION = 7;
const DETAIL_AT = WHEN + 2 + KIND + 2 + VERSION + 2;

const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${seconds % 60}s`;
  return `${seconds}s`;
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

function details(entry: TimelineEntry): string[] {
  switch (entry.kind) {
    case 'production_period':
      return [`${when(entry.at)} → ${entry.to ? when(entry.to) : 'now'} (${formatDuration(entry.duration_s)})`, entry.reason];
    case 'rollback':
      return [`v${entry.version} → v${entry.restored_version} (${entry.mode}): ${entry.reason}`];
    case 'drift':
      return [`${entry.reason}${entry.decision ? `; decision ${entry.decision}` : ''}`];
    default:
      return [entry.reason];
  }
}

function entryLines(entry: TimelineEntry): string[] {
  const texts = details(entry);
  if (entry.dag_run_id) texts.push(`dag run ${entry.dag_run_id}${entry.dag_id ? ` of ${entry.dag_id}` : ''}${entry.trigger ? ` (trigger ${entry.trigger})` : ''}`);
  const detail = texts.flatMap((text) => wrap(text, WIDTH - DETAIL_AT));
  if (entry.mlflow_run_url) detail.push(`mlflow  ${entry.mlflow_run_url}`);
  if (entry.airflow_run_url) detail.push(`airflow ${entry.airflow_run_url}`);
  const head = `${when(entry.at).padEnd(WHEN)}  ${LABEL[entry.kind].padEnd(KIND)}  ${(entry.version ? `v${entry.version}` : '').padEnd(VERSION)}  `;
  return detail.map((text, i) => `${i === 0 ? head : ' '.repeat(DETAIL_AT)}${text}`);
}

/** The human table: a title, a header, then each entry (oldest first) with its continuation lines. */
export function formatTimeline(entries: TimelineEntry[], options: Pick<HistoryOptions, 'modelName' | 'since' | 'limit'>, now: Date): string {
  const scope = [options.since ? `since ${when(options.since.toISOString())}` : '', options.limit ? `newest ${options.limit}` : ''].filter(Boolean).join(', ');
  const title = `History of model '${options.modelName}'${scope ? ` (${scope})` : ''}, as of ${when(now.toISOString())} UTC`;
  if (entries.length === 0) return `${title}: nothing recorded.\n`;
  const header = `${'WHEN (UTC)'.padEnd(WHEN)}  ${'EVENT'.padEnd(KIND)}  ${'VERSION'.padEnd(VERSION)}  DETAILS`;
  return `${[title, header, ...entries.flatMap(entryLines)].join('\n')}\n`;
}
