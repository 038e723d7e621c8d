/**
 * The image pull secret for a private registry (kubernetes.io/dockerconfigjson), applied
 * server-side so repeating it is harmless. On EKS the nodes pull from ECR with their IAM role and
 * none is needed; the local cluster pulls from the stack's registry, which has htpasswd auth.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { FIELD_MANAGER, ensureNamespace, type ApplyLog } from './apply.ts';
import { type Cluster, call } from './client.ts';

export interface RegistryLogin {
  /** host:port as it appears in image references. */
  address: string;
  username: string;
  password: string;
}

export function dockerConfigJson(registry: RegistryLogin): string {
  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
  return JSON.stringify({ auths: { [registry.address]: { username: registry.username, password: registry.password, auth } } });
}

export async function applyPullSecret(cluster: Cluster, options: { namespace: string; name: string; registry: RegistryLogin; log: ApplyLog }): Promise<void> {
  const { namespace, name, registry, log } = options;
  await ensureNamespace(cluster, namespace, log);
  await call(`applying secret ${namespace}/${name}`, () =>
    cluster.core.patchNamespacedSecret(
      {
        name,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': Buffer.from(dockerConfigJson(registry)).toString('base64') },
        },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ),
  );
  log.info({ namespace, name, registry: registry.address }, `pull secret ${namespace}/${name} applied for ${registry.address}`);
}
