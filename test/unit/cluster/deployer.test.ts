/**
 * The deployer service account (`health-predict cluster deployer`): applying it twice changes
 * nothing, and the API server's own authorizer (SubjectAccessReview, as the admin) lets it do
 * what the deploy path calls in the target namespace and nothing more. Against the local cluster
 * when it is up, in namespaces of its own.
 */
import { AuthorizationV1Api, KubeConfig, type V1ResourceAttributes } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../../harness/skip.ts';
import { localClusterSkipReason, localKubeconfig } from './workloads.ts';
import { deployerText } from '../../../src/cluster/cli.ts';
import { applyDeployer, deployerNames, deployerRules } from '../../../src/cluster/deployer.ts';
import { type Cluster, connectCluster } from '../../../src/k8s/client.ts';
import { TASK_DEPLOYER_SERVICE_ACCOUNT } from '../../../src/pipeline/dag-defaults.ts';

const kubeconfig = localKubeconfig;
const skipReason = localClusterSkipReason;
const quiet = { info: () => {}, warn: () => {} };

it('grants the pull secret by name only, and only when there is one', () => {
  expect(deployerRules().some((rule) => rule.resources?.includes('secrets'))).toBe(false);
  expect(deployerRules('regcred').filter((rule) => rule.resources?.includes('secrets'))).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['regcred'], verbs: ['get'] }]);
  expect(deployerRules().flatMap((rule) => rule.verbs)).not.toContain('delete');
});

it('names the bindings after the tasks namespace, so two of them can deploy into one target', () => {
  const a = deployerNames('tasks-a', 'api');
  const b = deployerNames('tasks-b', 'api');
  expect(a.user).toBe(`system:serviceaccount:tasks-a:${TASK_DEPLOYER_SERVICE_ACCOUNT}`);
  expect(a.role).toBe(b.role);
  expect(a.clusterRole).toBe(b.clusterRole);
  expect(a.roleBinding).not.toBe(b.roleBinding);
  expect(a.clusterRoleBinding).not.toBe(b.clusterRoleBinding);
});

describeWithService(skipReason, 'the deployer service account on the local cluster', () => {
  const tasks = `hp-deployer-tasks-${process.pid}`;
  const target = `hp-deployer-target-${process.pid}`;
  const names = deployerNames(tasks, target);
  let cluster: Cluster;
  let authorization: AuthorizationV1Api;

  /** What the API server's authorizer says for the deployer (as a pod's token would authenticate). */
  const allowed = async (attributes: V1ResourceAttributes) => {
    const review = await authorization.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: names.user, groups: ['system:serviceaccounts', `system:serviceaccounts:${tasks}`, 'system:authenticated'], resourceAttributes: attributes },
      },
    });
    return review.status?.allowed ?? false;
  };

  beforeAll(() => {
    process.env.KUBECONFIG ??= kubeconfig;
    cluster = connectCluster();
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    authorization = kc.makeApiClient(AuthorizationV1Api);
  });
  afterAll(async () => {
    await cluster?.rbac.deleteClusterRoleBinding({ name: names.clusterRoleBinding }).catch(() => undefined);
    await cluster?.rbac.deleteClusterRole({ name: names.clusterRole }).catch(() => undefined);
    for (const namespace of [tasks, target]) await cluster?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    cluster?.close();
  });

  it('applies the same objects twice without changing them', async () => {
    const first = await applyDeployer(cluster, { namespace: tasks, targetNamespace: target, pullSecret: 'regcred', log: quiet });
    expect(first).toEqual({ namespace: tasks, targetNamespace: target, ...names, pullSecret: 'regcred' });
    const versions = async () => [
      (await cluster.core.readNamespacedServiceAccount({ name: names.serviceAccount, namespace: tasks })).metadata?.resourceVersion,
      (await cluster.rbac.readNamespacedRole({ name: names.role, namespace: target })).metadata?.resourceVersion,
      (await cluster.rbac.readNamespacedRoleBinding({ name: names.roleBinding, namespace: target })).metadata?.resourceVersion,
      (await cluster.rbac.readClusterRole({ name: names.clusterRole })).metadata?.resourceVersion,
      (await cluster.rbac.readClusterRoleBinding({ name: names.clusterRoleBinding })).metadata?.resourceVersion,
    ];
    const before = await versions();
    expect(before.every(Boolean)).toBe(true);
    await applyDeployer(cluster, { namespace: tasks, targetNamespace: target, pullSecret: 'regcred', log: quiet });
    expect(await versions()).toEqual(before);
    expect(deployerText(first)).toContain(`service account ${tasks}/${TASK_DEPLOYER_SERVICE_ACCOUNT}`);
  });

  it('may deploy into the target namespace and nothing more', async () => {
    const deployments = { group: 'apps', resource: 'deployments' };
    expect(await allowed({ namespace: target, verb: 'patch', ...deployments })).toBe(true);
    expect(await allowed({ namespace: target, verb: 'create', ...deployments })).toBe(true);
    expect(await allowed({ namespace: target, verb: 'watch', group: 'apps', resource: 'replicasets' })).toBe(true);
    expect(await allowed({ namespace: target, verb: 'create', resource: 'services', subresource: 'proxy', name: 'health-predict-api' })).toBe(true);
    expect(await allowed({ namespace: target, verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' })).toBe(true);
    expect(await allowed({ verb: 'get', resource: 'namespaces', name: target })).toBe(true);

    expect(await allowed({ verb: 'get', resource: 'namespaces', name: tasks })).toBe(false);
    expect(await allowed({ verb: 'delete', resource: 'namespaces', name: target })).toBe(false);
    expect(await allowed({ namespace: target, verb: 'delete', ...deployments })).toBe(false);
    expect(await allowed({ namespace: tasks, verb: 'patch', ...deployments })).toBe(false);
    expect(await allowed({ namespace: 'default', verb: 'patch', ...deployments })).toBe(false);

    expect(await allowed({ namespace: target, verb: 'get', resource: 'secrets', name: 'regcred' })).toBe(true);
    expect(await allowed({ namespace: target, verb: 'get', resource: 'secrets', name: 'health-predict-task-secrets' })).toBe(false);
    expect(await allowed({ namespace: target, verb: 'list', resource: 'secrets' })).toBe(false);
  });

  it('drops the secret rule when applied without a pull secret', async () => {
    const applied = await applyDeployer(cluster, { namespace: tasks, targetNamespace: target, log: quiet });
    expect(applied.pullSecret).toBeNull();
    expect(await allowed({ namespace: target, verb: 'get', resource: 'secrets', name: 'regcred' })).toBe(false);
    expect(await allowed({ namespace: target, verb: 'patch', group: 'apps', resource: 'deployments' })).toBe(true);
  });
});
