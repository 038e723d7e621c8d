/**
 * The cluster's PKI, made with openssl: one CA, a serving certificate per server (etcd, API server,
 * kubelet), a client certificate per identity, the service-account key pair, and kubeconfigs that
 * embed them. Idempotent: existing files are kept unless the certificate plan changed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Layout, NETWORK } from './layout.ts';
import { mustRun } from './run.ts';

export interface CertSpec {
  name: string;
  /** Subject, e.g. `/O=system:nodes/CN=system:node:hp-node`. */
  subject: string;
  usage: ReadonlyArray<'serverAuth' | 'clientAuth'>;
  /** subjectAltName entries, e.g. `IP:127.0.0.1`, `DNS:localhost`. */
  altNames?: string[];
}

export const ADMIN_USER = 'health-predict-admin';

export function certPlan(): CertSpec[] {
  const node = NETWORK.nodeName;
  return [
    { name: 'etcd-server', subject: '/CN=etcd', usage: ['serverAuth', 'clientAuth'], altNames: ['IP:127.0.0.1', 'DNS:localhost'] }, // etcd dials itself with it
    { name: 'apiserver-etcd-client', subject: '/CN=kube-apiserver-etcd-client', usage: ['clientAuth'] },
    {
      name: 'apiserver',
      subject: '/CN=kube-apiserver',
      usage: ['serverAuth'],
      altNames: ['IP:127.0.0.1', `IP:${NETWORK.nodeIp}`, `IP:${NETWORK.apiServiceIp}`, 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'],
    },
    { name: 'apiserver-kubelet-client', subject: '/O=system:masters/CN=kube-apiserver-kubelet-client', usage: ['clientAuth'] },
    { name: 'admin', subject: `/O=system:masters/CN=${ADMIN_USER}`, usage: ['clientAuth'] },
    { name: 'controller-manager', subject: '/CN=system:kube-controller-manager', usage: ['clientAuth'] },
    { name: 'scheduler', subject: '/CN=system:kube-scheduler', usage: ['clientAuth'] },
    { name: 'kubelet', subject: `/O=system:nodes/CN=system:node:${node}`, usage: ['clientAuth'] },
    { name: 'kubelet-serving', subject: `/CN=${node}`, usage: ['serverAuth'], altNames: [`IP:${NETWORK.nodeIp}`, 'IP:127.0.0.1', `DNS:${node}`, 'DNS:localhost'] },
  ];
}

const planDigest = (plan: CertSpec[]) => createHash('sha256').update(JSON.stringify(plan)).digest('hex');
const DAYS = '3650';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(layout: Layout): Promise<void> {
  await mustRun('Creating the cluster CA', 'openssl', [
    'req', '-x509', ...EC, '-keyout', layout.key('ca'), '-out', layout.cert('ca'), '-days', DAYS, '-sha256',
    '-subj', '/CN=health-predict-local-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

async function makeCert(layout: Layout, spec: CertSpec): Promise<void> {
  const csr = path.join(layout.pki, `${spec.name}.csr`);
  const ext = path.join(layout.pki, `${spec.name}.ext`);
  await mustRun(`Creating the key and request for ${spec.name}`, 'openssl', ['req', '-new', ...EC, '-keyout', layout.key(spec.name), '-out', csr, '-subj', spec.subject]);
  const extensions = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${spec.usage.join(',')}`,
    ...(spec.altNames?.length ? [`subjectAltName=${spec.altNames.join(',')}`] : []),
  ];
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  await mustRun(`Signing the certificate for ${spec.name}`, 'openssl', [
    'x509', '-req', '-in', csr, '-CA', layout.cert('ca'), '-CAkey', layout.key('ca'), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', DAYS, '-sha256', '-extfile', ext, '-out', layout.cert(spec.name),
  ]);
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
}

/** Creates what is missing of the CA, the certificates in the plan and the service-account keys. Returns the names it (re)made. */
export async function ensurePki(layout: Layout): Promise<string[]> {
  mkdirSync(layout.pki, { recursive: true, mode: 0o700 });
  const made: string[] = [];
  const plan = certPlan();
  const planFile = path.join(layout.pki, 'plan.sha256');
  if (!existsSync(layout.cert('ca')) || !existsSync(layout.key('ca'))) {
    rmSync(layout.pki, { recursive: true, force: true });
    mkdirSync(layout.pki, { recursive: true, mode: 0o700 });
    await makeCa(layout);
    made.push('ca');
  }
  const planChanged = !existsSync(planFile) || readFileSync(planFile, 'utf8').trim() !== planDigest(plan);
  for (const spec of plan) {
    if (planChanged || made.includes('ca') || !existsSync(layout.cert(spec.name)) || !existsSync(layout.key(spec.name))) {
      await makeCert(layout, spec);
      made.push(spec.name);
    }
  }
  writeFileSync(planFile, `${planDigest(plan)}\n`);
  const saKey = layout.key('service-account');
  const saPub = path.join(layout.pki, 'service-account.pub');
  if (!existsSync(saKey) || !existsSync(saPub)) {
    await mustRun('Creating the service-account signing key', 'openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', saKey]);
    await mustRun('Deriving the service-account public key', 'openssl', ['pkey', '-in', saKey, '-pubout', '-out', saPub]);
    made.push('service-account');
  }
  return made;
}

export const serviceAccountPublicKey = (layout: Layout) => path.join(layout.pki, 'service-account.pub');

const b64 = (file: string) => readFileSync(file).toString('base64');

/** A kubeconfig (JSON is valid YAML) for `identity`'s certificate, with everything embedded so it can be copied elsewhere. */
export function kubeconfigFor(layout: Layout, identity: string, server: string, contextName = 'health-predict-local'): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster: { server, 'certificate-authority-data': b64(layout.cert('ca')) } }],
    users: [{ name: identity, user: { 'client-certificate-data': b64(layout.cert(identity)), 'client-key-data': b64(layout.key(identity)) } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: identity, namespace: 'default' } }],
    'current-context': contextName,
    preferences: {},
  };
}

/** Writes the admin kubeconfig and one per component that talks to the API server. */
export function writeKubeconfigs(layout: Layout, server: string): void {
  mkdirSync(path.dirname(layout.componentKubeconfig('x')), { recursive: true });
  const write = (file: string, config: object) => writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  write(layout.kubeconfig, kubeconfigFor(layout, 'admin', server));
  for (const component of ['controller-manager', 'scheduler', 'kubelet']) write(layout.componentKubeconfig(component), kubeconfigFor(layout, component, server));
}
