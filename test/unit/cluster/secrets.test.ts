/**
 * The task pods' Secret (`health-predict cluster task-secret`): only the variables set in the
 * environment become keys, a variable unset since the last apply loses its key, and nothing else
 * of the environment is written. Against the local cluster when it is up.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../../harness/skip.ts';
import { localClusterSkipReason, localKubeconfig } from './workloads.ts';
import { applyTaskSecret, taskSecretData } from '../../../src/cluster/secrets.ts';
import { type Cluster, connectCluster } from '../../../src/k8s/client.ts';

const kubeconfig = localKubeconfig;
const skipReason = localClusterSkipReason;
const quiet = { info: () => {}, warn: () => {} };
const names = ['AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL', 'SMTP_PASSWORD'];
const decode = (data: Record<string, string> | undefined) => Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]));

it('writes only the named variables that are set, never blank ones or the rest of the environment', () => {
  const data = taskSecretData(names, { AWS_SECRET_ACCESS_KEY: 'k3y=é', SLACK_WEBHOOK_URL: '  ', PATH: '/bin', SMTP_PASSWORD: undefined });
  expect(decode(data)).toEqual({ AWS_SECRET_ACCESS_KEY: 'k3y=é' });
});

describeWithService(skipReason, 'the task Secret on the local cluster', () => {
  const namespace = `hp-task-secret-${randomBytes(3).toString('hex')}`;
  let cluster: Cluster;

  beforeAll(() => {
    process.env.KUBECONFIG ??= kubeconfig;
    cluster = connectCluster();
  });
  afterAll(async () => {
    await cluster?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    cluster?.close();
  });

  it('applies the set variables, and drops a key whose variable is unset on the next apply', async () => {
    const first = await applyTaskSecret(cluster, { namespace, secretName: 'task-env', names, env: { AWS_SECRET_ACCESS_KEY: 'one', SLACK_WEBHOOK_URL: 'https://hooks.example/T/B/x' }, log: quiet });
    expect(first).toEqual({ namespace, secretName: 'task-env', keys: ['AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL'], unset: ['SMTP_PASSWORD'] });
    let secret = await cluster.core.readNamespacedSecret({ name: 'task-env', namespace });
    expect(secret.type).toBe('Opaque');
    expect(decode(secret.data)).toEqual({ AWS_SECRET_ACCESS_KEY: 'one', SLACK_WEBHOOK_URL: 'https://hooks.example/T/B/x' });

    await applyTaskSecret(cluster, { namespace, secretName: 'task-env', names, env: { AWS_SECRET_ACCESS_KEY: 'two' }, log: quiet });
    secret = await cluster.core.readNamespacedSecret({ name: 'task-env', namespace });
    expect(decode(secret.data)).toEqual({ AWS_SECRET_ACCESS_KEY: 'two' });
  }, 60_000);
});
