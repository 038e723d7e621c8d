/**
 * Starting one component: reuse it when its recorded process is ours and healthy, replace it when
 * it is sick, otherwise start it detached (own process group, output appended to its log) and
 * wait until its health check passes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type Registration, onCleanup, stopGroupSync } from '../host/cleanup.ts';
import { logTail } from '../host/log-tail.ts';
import { isOurProcess, spawnDetached, stopGroup } from '../host/process.ts';
import { COMPONENTS, type ComponentContext, type ComponentName } from './components.ts';
import { ComponentStartError } from './errors.ts';
import type { Layout } from './layout.ts';
import { type ClusterState, writeState } from './state.ts';

export type ClusterEvent =
  | { type: 'build'; line: string }
  | { type: 'setup'; line: string }
  | { type: 'reuse' | 'ready' | 'stopped'; component: ComponentName; pid: number }
  | { type: 'starting'; component: ComponentName; pid: number; log: string }
  | { type: 'replacing'; component: ComponentName; pid: number; reason: string };


/** The caller's environment without proxy settings (the API server would send pod and kubelet traffic through them), the binaries first on PATH. */
function componentEnv(bin: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(https?|all|no)_proxy$/i.test(key)));
  return { ...env, PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
}

/** True when `pid` is alive and its command line names a path inside this state dir (pids are reused). */
export const ownedBy = (pid: number, layout: Layout) => isOurProcess(pid, `${layout.stateDir}/`);

/** Polls `healthy` until it passes, the process dies, or time runs out. */
async function waitHealthy(name: ComponentName, ctx: ComponentContext, pid: number, timeoutMs: number): Promise<void> {
  const log = ctx.layout.log(name);
  const deadline = Date.now() + timeoutMs;
  const tail = () => {
    const text = logTail(log, 25);
    return text ? `\n--- last lines of ${log} ---\n${text}` : ` (${log} is empty)`;
  };
  for (;;) {
    if (!ownedBy(pid, ctx.layout)) throw new ComponentStartError(name, log, `${name} exited before it became healthy on ${COMPONENTS[name].endpoint(ctx)}. See its log ${log}.${tail()}`);
    if (await COMPONENTS[name].healthy(ctx)) return;
    if (Date.now() > deadline) {
      throw new ComponentStartError(name, log, `${name} did not become healthy on ${COMPONENTS[name].endpoint(ctx)} within ${Math.round(timeoutMs / 1000)} s. See its log ${log}.${tail()}`);
    }
    await sleep(300);
  }
}

/** Health of a recorded component, retried for up to `ms` (a busy machine answers slowly). */
async function answers(name: ComponentName, ctx: ComponentContext, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if (await COMPONENTS[name].healthy(ctx)) return true;
    await sleep(300);
  } while (Date.now() < deadline);
  return false;
}

/**
 * Makes sure component `name` runs and is healthy. When this call starts it, the returned
 * registration keeps it on the process's cleanup stack (an interrupted or failing `cluster up`
 * stops it) until the caller releases it; undefined when a healthy one was reused.
 */
export async function ensureComponent(name: ComponentName, ctx: ComponentContext, state: ClusterState, emit: (event: ClusterEvent) => void): Promise<Registration | undefined> {
  const { layout } = ctx;
  const spec = COMPONENTS[name];
  const record = state.components[name];
  if (record && ownedBy(record.pid, layout)) {
    if (await answers(name, ctx, 10_000)) {
      emit({ type: 'reuse', component: name, pid: record.pid });
      return undefined;
    }
    emit({ type: 'replacing', component: name, pid: record.pid, reason: `not healthy on ${spec.endpoint(ctx)}` });
    await stopGroup(record.pid, 15_000);
  }
  const log = layout.log(name);
  const command = spec.command(ctx);
  const args = spec.args(ctx);
  mkdirSync(layout.logs, { recursive: true });
  writeFileSync(log, `--- health-predict cluster: starting ${name} at ${new Date().toISOString()} ---\n$ ${[command, ...args].join(' ')}\n`, { flag: 'a' });
  const child = spawnDetached(command, args, { logFile: log, env: componentEnv(ctx.bin), cwd: layout.stateDir });
  if (child.pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new ComponentStartError(name, log, `Cannot start ${name} (${command}): ${error.message}.`, { cause: error });
  }
  const pid = child.pid;
  state.components[name] = { pid, log, startedAt: new Date().toISOString() };
  writeState(layout.stateFile, state);
  const forget = () => {
    if (state.components[name]?.pid !== pid) return;
    delete state.components[name];
    writeState(layout.stateFile, state);
  };
  const started = onCleanup({
    name: `${name} (pid ${pid}) started by this \`cluster up\``,
    timeoutMs: 30_000,
    dispose: async () => {
      await stopGroup(pid, 15_000);
      forget();
    },
    disposeSync: () => {
      stopGroupSync(pid, 10_000);
      forget();
    },
  });
  emit({ type: 'starting', component: name, pid, log });
  try {
    await waitHealthy(name, ctx, pid, spec.startTimeoutMs);
  } catch (error) {
    await started.dispose();
    throw error;
  }
  emit({ type: 'ready', component: name, pid });
  return started;
}

