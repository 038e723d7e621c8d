/** Waiting for the node and the default service account; removing every pod through CRI on `down`. */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { logTail } from '../host/log-tail.ts';
import { ApiClient } from './api.ts';
import { type Ports, apiServerUrl } from './components.ts';
import { ClusterError } from './errors.ts';
import { type Layout, NETWORK } from './layout.ts';
import { runCommand } from './run.ts';

const nodeSchema = z.object({
  status: z.object({ conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() })).default([]) }).default({ conditions: [] }),
});


/** The node's conditions, or undefined when it has not registered. */
export async function nodeConditions(layout: Layout, ports: Ports) {
  const node = await new ApiClient(apiServerUrl(ports), layout).get(`/api/v1/nodes/${NETWORK.nodeName}`);
  return node === undefined ? undefined : nodeSchema.parse(node).status.conditions;
}

export async function nodeReady(layout: Layout, ports: Ports): Promise<boolean> {
  const conditions = await nodeConditions(layout, ports);
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function waitForNodeReady(layout: Layout, ports: Ports, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'the node has not registered yet';
  for (;;) {
    try {
      const conditions = await nodeConditions(layout, ports);
      const ready = conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') return;
      if (ready) last = `Ready=${ready.status} (${ready.reason ?? ''}: ${ready.message ?? ''})`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      const log = layout.log('kubelet');
      throw new ClusterError(`Node ${NETWORK.nodeName} did not become Ready within ${Math.round(timeoutMs / 1000)} s: ${last}. See the kubelet log ${log}:\n${logTail(log, 25)}`);
    }
    await sleep(1_000);
  }
}

/** The controller manager creates `default` in every namespace; pods cannot be created before it exists. */
export async function waitForDefaultServiceAccount(layout: Layout, ports: Ports, timeoutMs: number): Promise<void> {
  const client = new ApiClient(apiServerUrl(ports), layout);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await client.get('/api/v1/namespaces/default/serviceaccounts/default').catch(() => undefined)) return;
    if (Date.now() > deadline) {
      throw new ClusterError(`The default service account did not appear within ${Math.round(timeoutMs / 1000)} s; the controller manager creates it. See ${layout.log('kube-controller-manager')}.`);
    }
    await sleep(500);
  }
}

/** Stops and removes every pod sandbox (and its containers and network) through CRI; returns a line for the log. */
export async function removeAllPods(layout: Layout, crictl: string): Promise<string> {
  if (!existsSync(crictl)) return `crictl is missing (${crictl}); pods were not removed`;
  const endpoint = `unix://${layout.containerd.socket}`;
  const result = await runCommand(crictl, ['--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '--timeout', '60s', 'rmp', '--all', '--force'], { timeoutMs: 180_000 });
  const removed = result.stdout.split('\n').filter((line) => line.startsWith('Removed sandbox')).length;
  if (result.code !== 0) return `removing pods failed (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' ')}`;
  return removed ? `removed ${removed} pod sandbox(es)` : '';
}
