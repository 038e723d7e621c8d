/**
 * `createMlflowClient({ trackingUri })`: a thin typed client of the MLflow 3 REST API
 * (tracking, proxied artifacts, model registry). No usable npm client exists.
 */
import { MlflowError } from './errors.ts';
import { artifactsApi } from './artifacts.ts';
import { BATCH_LIMITS, type BatchLimits } from './batch.ts';
import { experimentsApi } from './experiments.ts';
import { modelsApi } from './models.ts';
import { runsApi } from './runs.ts';
import { type MlflowAuth, type TransportOptions, createTransport } from './transport.ts';

export interface MlflowClientOptions extends TransportOptions {
  /** Override log-batch limits (tests); default MLflow's. */
  batchLimits?: BatchLimits;
}

export function createMlflowClient(options: MlflowClientOptions) {
  const transport = createTransport(options);
  const runs = runsApi(transport, options.batchLimits ?? BATCH_LIMITS);
  return {
    /** The server's base URL (without credentials). */
    trackingUri: transport.baseUrl,
    experiments: experimentsApi(transport),
    runs,
    artifacts: artifactsApi(transport, runs),
    models: modelsApi(transport),
  };
}
export type MlflowClient = ReturnType<typeof createMlflowClient>;

/**
 * A client configured like MLflow's own: MLFLOW_TRACKING_URI (required, http(s)),
 * MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD.
 */
export function mlflowClientFromEnv(env: NodeJS.ProcessEnv = process.env, options: Omit<MlflowClientOptions, 'trackingUri' | 'auth'> = {}): MlflowClient {
  const trackingUri = env.MLFLOW_TRACKING_URI;
  if (!trackingUri) {
    throw new MlflowError('MLFLOW_TRACKING_URI is not set. Point it at the MLflow server (e.g. `eval "$(health-predict stack env)"` after `health-predict stack up`).', { method: '-', path: '-' });
  }
  let auth: MlflowAuth | undefined;
  if (env.MLFLOW_TRACKING_TOKEN) auth = { token: env.MLFLOW_TRACKING_TOKEN };
  else if (env.MLFLOW_TRACKING_USERNAME) auth = { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' };
  return createMlflowClient({ ...options, trackingUri, auth });
}
