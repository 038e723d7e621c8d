/**
 * Airflow 3's REST API as the UI uses it: a JWT from /auth/token, then /api/v2. Just what the
 * compose lane needs: trigger, poll, task instances, XComs, logs.
 */
import type { PlatformUnderTest } from './context.ts';

export interface TaskInstance {
  task_id: string;
  state: string | null;
  try_number: number;
  rendered_fields?: Record<string, unknown>;
}

export interface DagRun {
  dag_run_id: string;
  dag_id: string;
  state: string;
  run_type: string;
  conf?: Record<string, unknown>;
}

export class AirflowApi {
  private token?: string;

  constructor(private readonly platform: Pick<PlatformUnderTest, 'url' | 'username' | 'password'>) {}

  async login(): Promise<string> {
    const response = await fetch(`${this.platform.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.platform.username, password: this.platform.password }),
    });
    if (!response.ok) throw new Error(`POST /auth/token answered ${response.status}: ${await response.text()}`);
    this.token = ((await response.json()) as { access_token: string }).access_token;
    return this.token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.token ?? (await this.login());
    const response = await fetch(`${this.platform.url}/api/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /api/v2${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  trigger(dagId: string, conf: Record<string, unknown> = {}): Promise<DagRun> {
    return this.request('POST', `/dags/${dagId}/dagRuns`, { logical_date: null, conf });
  }

  run(dagId: string, runId: string): Promise<DagRun> {
    return this.request('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`);
  }

  async runs(dagId: string, query = ''): Promise<DagRun[]> {
    return (await this.request<{ dag_runs: DagRun[] }>('GET', `/dags/${dagId}/dagRuns?limit=100${query}`)).dag_runs;
  }

  async taskInstances(dagId: string, runId: string): Promise<TaskInstance[]> {
    return (await this.request<{ task_instances: TaskInstance[] }>('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances?limit=100`)).task_instances;
  }

  async states(dagId: string, runId: string): Promise<Record<string, string | null>> {
    return Object.fromEntries((await this.taskInstances(dagId, runId)).map((ti) => [ti.task_id, ti.state]));
  }

  async xcom<T = unknown>(dagId: string, runId: string, taskId: string): Promise<T> {
    const entry = await this.request<{ value: unknown }>('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/xcomEntries/return_value`);
    return (typeof entry.value === 'string' ? JSON.parse(entry.value) : entry.value) as T;
  }

  /** The task try's log as text: one line per structured event (level, event, then its fields). */
  async log(dagId: string, runId: string, taskId: string, tryNumber: number): Promise<string> {
    const body = await this.request<{ content: unknown }>('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}?full_content=true`);
    const lines = Array.isArray(body.content) ? body.content : [body.content];
    return lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');
  }

  /** Polls until the run is no longer queued or running (or `until` says stop). */
  async waitForRun(dagId: string, runId: string, options: { timeoutMs: number; until?: (run: DagRun) => boolean }): Promise<DagRun> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const run = await this.run(dagId, runId);
      if (options.until ? options.until(run) : !['queued', 'running'].includes(run.state)) return run;
      if (Date.now() > deadline) throw new Error(`${dagId} ${runId} still ${run.state} after ${options.timeoutMs / 1000} s: ${JSON.stringify(await this.states(dagId, runId))}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  /** Polls until a task of the run reaches `state`. */
  async waitForTask(dagId: string, runId: string, taskId: string, state: string, timeoutMs: number): Promise<TaskInstance> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.taskInstances(dagId, runId)).find((ti) => ti.task_id === taskId);
      if (found?.state === state) return found;
      if (Date.now() > deadline) throw new Error(`${taskId} of ${runId} is ${found?.state ?? 'absent'}, not ${state}, after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
