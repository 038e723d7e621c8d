/**
 * The task pods' secrets as one Kubernetes Secret. The cluster profile fills each secret variable
 * of a pod from the key of its name in this Secret (an optional key: one the Secret lacks stays
 * unset), so no secret is in a DAG file or on the Airflow worker. Written from an environment (the
 * variables set there, by name only in anything it prints), server-side applied: repeating it is
 * harmless, and a variable unset since the last apply loses its key.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type ApplyLog, FIELD_MANAGER, ensureNamespace } from '../k8s/apply.ts';
import { type Cluster, call } from '../k8s/client.ts';

export interface TaskSecretRequest {
  readonly namespace: string;
  readonly secretName: string;
  /** The secret variables the pods read (the profile's `secretEnv.names`). */
  readonly names: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: ApplyLog;
}

export interface AppliedTaskSecret {
  readonly namespace: string;
  readonly secretName: string;
  /** The names written: those set (not blank) in the environment. */
  readonly keys: readonly string[];
  /** The names the environment does not set: absent in the pods. */
  readonly unset: readonly string[];
}

/** The Secret's data: each set variable, base64 as the API wants it. */
export function taskSecretData(names: readonly string[], env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const set = names.filter((name) => (env[name] ?? '').trim() !== '');
  return Object.fromEntries(set.map((name) => [name, Buffer.from(env[name]!).toString('base64')]));
}

export async function applyTaskSecret(cluster: Cluster, request: TaskSecretRequest): Promise<AppliedTaskSecret> {
  const { namespace, secretName, names, env, log } = request;
  const data = taskSecretData(names, env);
  await ensureNamespace(cluster, namespace, log);
  await call(`applying secret ${namespace}/${secretName}`, () =>
    cluster.core.patchNamespacedSecret(
      {
        name: secretName,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } },
          type: 'Opaque',
          data,
        },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ),
  );
  const keys = Object.keys(data);
  const unset = names.filter((name) => !keys.includes(name));
  log.info({ namespace, secret: secretName, keys, unset }, `secret ${namespace}/${secretName} applied with ${keys.length} of ${names.length} task secrets`);
  return { namespace, secretName, keys, unset };
}
