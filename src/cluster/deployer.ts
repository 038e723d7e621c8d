/**
 * The deployer service account (`health-predict cluster deployer`): the identity of the task pods
 * that change the API's Deployment (rollout, verification, health check, rollback). It may do
 * exactly what src/k8s calls in the target namespace — Deployments, their ReplicaSets and Pods,
 * the Service and its proxy (the health check POSTs /predict through it), EndpointSlices, and the
 * pull secret by name when there is one — and read that one namespace object (ensureNamespace);
 * nothing else, nowhere else. Everything is server-side applied: repeating it is harmless, and a
 * rule dropped here (no pull secret any more) is dropped on the cluster.
 *
 * The bindings carry the tasks' namespace in their names, so binding a second tasks namespace to
 * the same target adds a binding instead of moving the first.
 */
import { PatchStrategy, type V1PolicyRule, setHeaderOptions } from '@kubernetes/client-node';
import { type ApplyLog, FIELD_MANAGER, ensureNamespace } from '../k8s/apply.ts';
import { type Cluster, call } from '../k8s/client.ts';
import { TASK_DEPLOYER_SERVICE_ACCOUNT } from '../pipeline/dag-defaults.ts';

export interface DeployerRequest {
  /** Where the task pods run (the service account lives here). */
  readonly namespace: string;
  /** Where the API is deployed (K8S_NAMESPACE of the tasks). */
  readonly targetNamespace: string;
  /** The image pull secret the rollout checks for (K8S_IMAGE_PULL_SECRET), readable by name only. */
  readonly pullSecret?: string;
  readonly log: ApplyLog;
}

/** What was applied, by name. */
export interface AppliedDeployer {
  readonly namespace: string;
  readonly targetNamespace: string;
  readonly serviceAccount: string;
  /** The user name RBAC sees: system:serviceaccount:<namespace>:<service account>. */
  readonly user: string;
  readonly role: string;
  readonly roleBinding: string;
  readonly clusterRole: string;
  readonly clusterRoleBinding: string;
  readonly pullSecret: string | null;
}

/** The Role's rules in the target namespace: exactly the calls of src/k8s. */
export function deployerRules(pullSecret?: string): V1PolicyRule[] {
  return [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['services'], verbs: ['get', 'create', 'patch'] },
    { apiGroups: [''], resources: ['services/proxy'], verbs: ['get', 'create'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ...(pullSecret ? [{ apiGroups: [''], resources: ['secrets'], resourceNames: [pullSecret], verbs: ['get'] }] : []),
  ];
}

/** The names of everything the deployer of `namespace` into `targetNamespace` consists of. */
export function deployerNames(namespace: string, targetNamespace: string) {
  const account = TASK_DEPLOYER_SERVICE_ACCOUNT;
  return {
    serviceAccount: account,
    user: `system:serviceaccount:${namespace}:${account}`,
    role: account,
    roleBinding: `${account}:${namespace}`,
    clusterRole: `${account}:${targetNamespace}`,
    clusterRoleBinding: `${account}:${targetNamespace}:${namespace}`,
  };
}

const labels = { 'app.kubernetes.io/managed-by': FIELD_MANAGER };
const rbacGroup = 'rbac.authorization.k8s.io';

export async function applyDeployer(cluster: Cluster, request: DeployerRequest): Promise<AppliedDeployer> {
  const { namespace, targetNamespace, pullSecret, log } = request;
  const names = deployerNames(namespace, targetNamespace);
  const subjects = [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace }];
  const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const apply = { fieldManager: FIELD_MANAGER, force: true } as const;

  await ensureNamespace(cluster, namespace, log);
  if (targetNamespace !== namespace) await ensureNamespace(cluster, targetNamespace, log);

  await call(`applying service account ${namespace}/${names.serviceAccount}`, () =>
    cluster.core.patchNamespacedServiceAccount(
      { name: names.serviceAccount, namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: names.serviceAccount, namespace, labels } }, ...apply },
      ssa,
    ),
  );
  await call(`applying role ${targetNamespace}/${names.role}`, () =>
    cluster.rbac.patchNamespacedRole(
      { name: names.role, namespace: targetNamespace, body: { apiVersion: `${rbacGroup}/v1`, kind: 'Role', metadata: { name: names.role, namespace: targetNamespace, labels }, rules: deployerRules(pullSecret) }, ...apply },
      ssa,
    ),
  );
  await call(`applying role binding ${targetNamespace}/${names.roleBinding}`, () =>
    cluster.rbac.patchNamespacedRoleBinding(
      {
        name: names.roleBinding,
        namespace: targetNamespace,
        body: { apiVersion: `${rbacGroup}/v1`, kind: 'RoleBinding', metadata: { name: names.roleBinding, namespace: targetNamespace, labels }, roleRef: { apiGroup: rbacGroup, kind: 'Role', name: names.role }, subjects },
        ...apply,
      },
      ssa,
    ),
  );
  await call(`applying cluster role ${names.clusterRole}`, () =>
    cluster.rbac.patchClusterRole(
      {
        name: names.clusterRole,
        body: { apiVersion: `${rbacGroup}/v1`, kind: 'ClusterRole', metadata: { name: names.clusterRole, labels }, rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: [targetNamespace], verbs: ['get'] }] },
        ...apply,
      },
      ssa,
    ),
  );
  await call(`applying cluster role binding ${names.clusterRoleBinding}`, () =>
    cluster.rbac.patchClusterRoleBinding(
      {
        name: names.clusterRoleBinding,
        body: { apiVersion: `${rbacGroup}/v1`, kind: 'ClusterRoleBinding', metadata: { name: names.clusterRoleBinding, labels }, roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: names.clusterRole }, subjects },
        ...apply,
      },
      ssa,
    ),
  );
  log.info({ user: names.user, target_namespace: targetNamespace, pull_secret: pullSecret ?? null }, `deployer ${names.user} may deploy into namespace ${targetNamespace}`);
  return { namespace, targetNamespace, ...names, pullSecret: pullSecret ?? null };
}
