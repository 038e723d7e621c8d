/**
 * The node's container runtime: a private containerd (its own socket, root and state under the
 * cluster's state dir, so it never touches a system containerd or Docker's), its CNI config, and
 * images imported with `ctr` instead of pulled.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Layout, NETWORK, sandboxImage } from './layout.ts';
import { mustRun, runCommand } from './run.ts';

/** containerd 1.6 config (version 2). */
export function containerdConfig(layout: Layout): string {
  const q = JSON.stringify; // a JSON string is a TOML basic string
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = ${q(layout.containerd.root)}`,
    `state = ${q(layout.containerd.state)}`,
    '',
    '[grpc]',
    `  address = ${q(layout.containerd.socket)}`,
    '',
    '[ttrpc]',
    `  address = ${q(`${layout.containerd.socket}.ttrpc`)}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${q(sandboxImage)}`,
    // Without it runc fails "can't get final child's PID from pipe": the machine lacks CAP_SYS_RESOURCE.
    '  restrict_oom_score_adj = true',
    '  enable_selinux = false',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `  [${cri}.containerd]`,
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    `    [${cri}.containerd.runtimes.runc]`,
    '      runtime_type = "io.containerd.runc.v2"',
    `      [${cri}.containerd.runtimes.runc.options]`,
    '        SystemdCgroup = false',
    `  [${cri}.cni]`,
    '    bin_dir = "/usr/lib/cni"',
    `    conf_dir = ${q(layout.cni.confDir)}`,
    '    max_conf_num = 1',
    `  [${cri}.registry]`,
    `    config_path = ${q(layout.containerd.hostsDir)}`,
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(path.join(layout.containerd.dir, 'opt'))}`,
    '',
  ].join('\n');
}

/** A bridge network for pods (no masquerade: pods only talk to the node and each other). */
export function cniConfig(layout: Layout): object {
  return {
    cniVersion: '1.0.0',
    name: NETWORK.cniNetwork,
    plugins: [
      {
        type: 'bridge',
        bridge: NETWORK.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', dataDir: layout.cni.dataDir, ranges: [[{ subnet: NETWORK.podCidr, gateway: NETWORK.podGateway }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'loopback' },
    ],
  };
}

export function writeRuntimeConfig(layout: Layout): void {
  mkdirSync(layout.containerd.dir, { recursive: true });
  mkdirSync(layout.containerd.hostsDir, { recursive: true });
  mkdirSync(layout.cni.confDir, { recursive: true });
  writeFileSync(layout.containerd.config, containerdConfig(layout));
  writeFileSync(path.join(layout.cni.confDir, '10-health-predict.conflist'), `${JSON.stringify(cniConfig(layout), null, 2)}\n`);
}

const ctr = (layout: Layout) => ['--address', layout.containerd.socket, '--namespace', 'k8s.io'];

/** True when containerd answers on its socket. */
export async function containerdAnswers(layout: Layout): Promise<boolean> {
  const result = await runCommand('ctr', ['--address', layout.containerd.socket, '--timeout', '3s', 'version'], { timeoutMs: 5_000 }).catch(() => undefined);
  return result?.code === 0;
}

/** The node's images (namespace k8s.io, where the kubelet looks): reference → manifest digest, without the bare `sha256:` aliases. */
export async function listImages(layout: Layout): Promise<Map<string, string>> {
  const out = await mustRun('Listing the node images', 'ctr', [...ctr(layout), 'images', 'list']);
  const images = new Map<string, string>();
  for (const line of out.split('\n').slice(1)) {
    const [ref, , digest] = line.trim().split(/\s+/);
    if (ref && digest && !ref.startsWith('sha256:')) images.set(ref, digest);
  }
  return images;
}

/** Imports an image archive (OCI layout or `docker save` tar) into the node and unpacks it; returns the references ctr reports. */
export async function importImage(layout: Layout, archive: string): Promise<string[]> {
  const out = await mustRun(`Importing ${archive} into the node`, 'ctr', [...ctr(layout), 'images', 'import', archive], { timeoutMs: 300_000 });
  return [...out.matchAll(/^unpacking (\S+) \(sha256:/gm)].map((match) => match[1]!);
}
