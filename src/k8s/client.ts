/**
 * The cluster connection: @kubernetes/client-node's KubeConfig.loadFromDefault (KUBECONFIG,
 * ~/.kube/config, in-cluster service account; exec plugins such as `aws eks get-token`), the
 * typed API groups, and plain HTTPS to the API server's service proxy with the same credentials.
 */
import https from 'node:https';
import { ApiException, AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { TaskError } from '../runtime/errors.ts';
import { ClusterUnavailableError, K8sConfigError, K8sNotFoundError, K8sRequestRefusedError } from './errors.ts';

export interface ProxyAnswer {
  status: number;
  body: string;
  ms: number;
}

export interface ProxyRequest {
  method?: string;
  json?: unknown;
  timeoutMs?: number;
}

export interface Cluster {
  readonly server: string;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  /** One request to `/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`; network errors reject, any status resolves. */
  serviceProxy(namespace: string, service: string, port: string, path: string, init?: ProxyRequest): Promise<ProxyAnswer>;
  close(): void;
}

export function connectCluster(options: { context?: string; requestTimeoutMs?: number } = {}): Cluster {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (error) {
    throw new K8sConfigError(`Cannot load the kubeconfig (KUBECONFIG=${process.env.KUBECONFIG ?? '(unset)'}): ${(error as Error).message}. Point KUBECONFIG at a valid file (locally: eval "$(health-predict cluster env)").`, { cause: error });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new K8sConfigError(`The kubeconfig has no cluster for context '${kc.getCurrentContext()}' (KUBECONFIG=${process.env.KUBECONFIG ?? '(unset)'}). Set KUBECONFIG (locally: eval "$(health-predict cluster env)") or K8S_CONTEXT.`);
  }
  const server = cluster.server.replace(/\/+$/, '');
  // Keep-alive: the health check and load loops send thousands of proxied requests.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  const defaultTimeout = options.requestTimeoutMs ?? 10_000;

  async function serviceProxy(namespace: string, service: string, port: string, path: string, init: ProxyRequest = {}): Promise<ProxyAnswer> {
    const url = new URL(`${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${encodeURIComponent(port)}/proxy${path.startsWith('/') ? path : `/${path}`}`);
    const payload = init.json === undefined ? undefined : JSON.stringify(init.json);
    const opts: https.RequestOptions = {
      method: init.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers: { Accept: 'application/json', ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) },
    };
    await kc.applyToHTTPSOptions(opts);
    opts.agent = agent;
    const timeoutMs = init.timeoutMs ?? defaultTimeout;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const request = https.request(url, opts, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        response.on('error', reject);
      });
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer from ${url.pathname} within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  return {
    server,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    serviceProxy,
    close: () => agent.destroy(),
  };
}

/** Connects (the kubeconfig context and request timeout of `options`), runs `fn`, always closes. */
export async function withCluster<T>(options: { context?: string; requestTimeoutMs?: number }, fn: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = connectCluster(options);
  try {
    return await fn(cluster);
  } finally {
    cluster.close();
  }
}

export const isNotFound = (error: unknown) => error instanceof ApiException && error.code === 404;

function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300);
    }
  }
  return (body as { message?: string } | undefined)?.message ?? JSON.stringify(body)?.slice(0, 300) ?? '';
}

/** Maps a client error to a task error that says what was being done (callOptional() turns 404 into undefined first). */
export function classify(error: unknown, doing: string): Error {
  if (error instanceof ApiException) {
    const message = statusMessage(error.body);
    if (error.code === 404) return new K8sNotFoundError(`Not found while ${doing}: ${message}. Check K8S_NAMESPACE / K8S_DEPLOYMENT_NAME and that deploy_to_kubernetes ran against this cluster.`);
    if (error.code === 401 || error.code === 403) {
      return new K8sRequestRefusedError(`The API server refused ${doing} (HTTP ${error.code}): ${message}. Check the kubeconfig's user and its RBAC permissions in the namespace.`);
    }
    if (error.code === 429 || error.code >= 500) return new ClusterUnavailableError(`The API server failed ${doing} (HTTP ${error.code}): ${message}. Airflow retries the task.`);
    return new K8sRequestRefusedError(`The API server rejected ${doing} (HTTP ${error.code}): ${message}.`);
  }
  if (error instanceof TaskError) return error;
  return new ClusterUnavailableError(`The API server could not be reached while ${doing}: ${(error as Error)?.message ?? String(error)}. Check that the cluster runs and KUBECONFIG points at it.`, { cause: error });
}

/** Runs one API call, turning client errors into task errors. */
export async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw classify(error, doing);
  }
}

/** Like call(), but a 404 resolves to undefined. */
export async function callOptional<T>(doing: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw classify(error, doing);
  }
}
