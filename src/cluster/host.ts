/**
 * What the node needs from the machine: root, Debian's container runtime packages, the dummy
 * interface carrying the node IP, the route of the `kubernetes` Service to the API server — and,
 * on `down`, removing the interfaces, route and mounts it left.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ClusterError } from './errors.ts';
import { NETWORK } from './layout.ts';
import { mustRun, runCommand } from './run.ts';

/** A file each Debian package provides, and the package. */
const HOST_PACKAGES: ReadonlyArray<[file: string, pkg: string]> = [
  ['/usr/bin/containerd', 'containerd'],
  ['/usr/bin/ctr', 'containerd'],
  ['/usr/sbin/runc', 'runc'],
  ['/usr/lib/cni/bridge', 'containernetworking-plugins'],
  ['/usr/lib/cni/host-local', 'containernetworking-plugins'],
  ['/usr/lib/cni/loopback', 'containernetworking-plugins'],
  ['/usr/bin/openssl', 'openssl'],
  ['/usr/sbin/ip', 'iproute2'],
  ['/usr/sbin/iptables', 'iptables'],
];

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new ClusterError('The local cluster must be started as root: the kubelet manages cgroups and mounts, and containerd creates containers. Run `health-predict cluster up` as root.');
  }
}

/** Installs (apt-get, as root) the runtime packages that are missing; returns what it installed. */
export async function ensureHostPackages(onLine?: (line: string) => void): Promise<string[]> {
  const missing = [...new Set(HOST_PACKAGES.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg))];
  if (!missing.length) return [];
  onLine?.(`installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 600_000 });
  if (install.code !== 0) {
    await runCommand('apt-get', ['update'], { env, timeoutMs: 600_000 });
    install = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 600_000 });
  }
  if (install.code !== 0) {
    throw new ClusterError(`Installing ${missing.join(', ')} with apt-get failed (exit ${install.code}):\n${install.stderr.trim().split('\n').slice(-10).join('\n')}\nInstall them by hand (as root): apt-get install ${missing.join(' ')}`);
  }
  return missing;
}

async function linkExists(name: string): Promise<boolean> {
  return (await runCommand('ip', ['link', 'show', 'dev', name])).code === 0;
}

/**
 * Creates the interface carrying the node IP (idempotent): a dummy interface, or — on kernels
 * built without the dummy driver ("Unknown device type") — a bridge with no ports, which holds a
 * local address just as well.
 */
export async function ensureNodeInterface(): Promise<void> {
  const { dummyInterface: dev, nodeIp } = NETWORK;
  if (!(await linkExists(dev))) {
    const dummy = await runCommand('ip', ['link', 'add', dev, 'type', 'dummy']);
    if (dummy.code !== 0) await mustRun(`Creating the node interface ${dev} (no dummy driver: ${dummy.stderr.trim()})`, 'ip', ['link', 'add', dev, 'type', 'bridge']);
  }
  await mustRun(`Giving ${dev} the node IP ${nodeIp}`, 'ip', ['addr', 'replace', `${nodeIp}/32`, 'dev', dev]);
  await mustRun(`Bringing ${dev} up`, 'ip', ['link', 'set', dev, 'up']);
}

/** Removes the node's dummy interface and the pod bridge; returns the names it removed. */
export async function removeInterfaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const dev of [NETWORK.bridge, NETWORK.dummyInterface]) {
    if (await linkExists(dev)) {
      await mustRun(`Removing interface ${dev}`, 'ip', ['link', 'delete', dev]);
      removed.push(dev);
    }
  }
  return removed;
}

/** Marks the NAT rules this project adds, so removing them never touches anyone else's. */
const RULE_COMMENT = 'health-predict-cluster';
/** Host-network pods and the host itself (OUTPUT); pods on the CNI bridge (PREROUTING). */
const NAT_CHAINS = ['OUTPUT', 'PREROUTING'] as const;

/** A failed iptables call, with what the route is for and how to fix it. */
const routeError = (error: unknown) =>
  new ClusterError(
    `${(error as Error).message}\nWithout this route pods cannot reach the API server by in-cluster config (KUBERNETES_SERVICE_HOST=${NETWORK.apiServiceIp}, port 443). Run as root with iptables installed (apt-get install iptables).`,
    { cause: error },
  );

/** `iptables -t nat …`, failing with routeError. */
async function nat(what: string, args: readonly string[]): Promise<string> {
  return mustRun(what, 'iptables', ['-t', 'nat', ...args]).catch((error: unknown) => {
    throw routeError(error);
  });
}

/** `iptables -t nat -C rule`: whether the rule is in place. */
async function natHas(rule: readonly string[]): Promise<boolean> {
  const check = await runCommand('iptables', ['-t', 'nat', '-C', ...rule]).catch((error: unknown) => {
    throw routeError(error);
  });
  return check.code === 0;
}

/** The arguments of one rule line of `iptables -S` (quoted comments kept whole). */
function ruleArgs(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => (match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!));
}

/** The value after `flag` in a rule's arguments. */
const valueOf = (args: readonly string[], flag: string) => {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
};

/** The rules of a nat chain that DNAT `apiServiceIp:443` somewhere (ours or not), as `-A` argument lists. */
async function apiServiceRules(chain: string): Promise<string[][]> {
  const listing = await nat(`Listing the nat ${chain} chain`, ['-S', chain]);
  return listing
    .split('\n')
    .filter((line) => line.startsWith(`-A ${chain} `))
    .map(ruleArgs)
    .filter((args) => valueOf(args, '-d') === `${NETWORK.apiServiceIp}/32` && valueOf(args, '--dport') === '443' && valueOf(args, '-j') === 'DNAT');
}

const isOurs = (args: readonly string[]) => valueOf(args, '--comment') === RULE_COMMENT;

const apiServiceRule = (chain: string, apiserverPort: number) => [
  chain, '-d', `${NETWORK.apiServiceIp}/32`, '-p', 'tcp', '--dport', '443',
  '-m', 'comment', '--comment', RULE_COMMENT,
  '-j', 'DNAT', '--to-destination', `${NETWORK.nodeIp}:${apiserverPort}`,
];

/**
 * Routes the one Service the node needs, `kubernetes` (apiServiceIp:443), to the API server on
 * the node IP: there is no kube-proxy, and pods find the API server at that address through
 * their in-cluster config. The address goes on the node interface (so the host routes it
 * locally), and a DNAT rule in nat OUTPUT and PREROUTING sends it on. Idempotent; any other rule
 * for that address (the API server's port changed, or one added by hand) is removed once ours is in.
 */
export async function routeApiService(apiserverPort: number): Promise<void> {
  const { apiServiceIp, dummyInterface: dev, nodeIp } = NETWORK;
  await mustRun(`Giving ${dev} the kubernetes Service address ${apiServiceIp}`, 'ip', ['addr', 'replace', `${apiServiceIp}/32`, 'dev', dev]);
  const destination = `${nodeIp}:${apiserverPort}`;
  for (const chain of NAT_CHAINS) {
    const rule = apiServiceRule(chain, apiserverPort);
    if (!(await natHas(rule))) await nat(`Routing ${apiServiceIp}:443 to the API server ${destination} in nat ${chain}`, ['-A', ...rule]);
    for (const existing of await apiServiceRules(chain)) {
      if (isOurs(existing) && valueOf(existing, '--to-destination') === destination) continue;
      await nat(`Removing the previous ${apiServiceIp}:443 rule from nat ${chain}`, ['-D', ...existing.slice(1)]);
    }
  }
}

/** Removes what routeApiService added: this project's NAT rules and the Service address. Returns what it removed. */
export async function unrouteApiService(): Promise<string[]> {
  const removed: string[] = [];
  for (const chain of NAT_CHAINS) {
    for (const existing of (await apiServiceRules(chain)).filter(isOurs)) {
      await nat(`Removing the ${NETWORK.apiServiceIp}:443 rule from nat ${chain}`, ['-D', ...existing.slice(1)]);
      removed.push(`nat ${chain} rule for ${NETWORK.apiServiceIp}:443`);
    }
  }
  if (await linkExists(NETWORK.dummyInterface)) {
    const address = await runCommand('ip', ['addr', 'del', `${NETWORK.apiServiceIp}/32`, 'dev', NETWORK.dummyInterface]);
    if (address.code === 0) removed.push(`address ${NETWORK.apiServiceIp}`);
  }
  return removed;
}

const unescapeMount = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

/** Mount points at or below `dir` (deepest first), from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((line) => line.split(' ')[4]).filter((field): field is string => !!field).map(unescapeMount);
  return [...new Set(points.filter((point) => point === dir || point.startsWith(`${dir}/`)))].sort((a, b) => b.length - a.length);
}

/** Unmounts what the kubelet and containerd left mounted below `dir` (volumes, rootfs, shm). */
export async function unmountUnder(dir: string): Promise<string[]> {
  const points = mountsUnder(dir);
  for (const point of points) {
    const result = await runCommand('umount', [point]);
    if (result.code !== 0) await runCommand('umount', ['-l', point]);
  }
  return points;
}

/**
 * Kubelets and API servers of another state directory: the node IP, interfaces and cgroups are
 * per machine, so only one local cluster can run at a time.
 */
export function otherClusters(stateDir: string): { pid: number; command: string }[] {
  const markers = [`--node-ip=${NETWORK.nodeIp}`, `--advertise-address=${NETWORK.nodeIp}`];
  return markers
    .flatMap((marker) => processesMatching(marker))
    .map((pid) => ({ pid, command: commandOf(pid) }))
    .filter((p) => p.command && !p.command.includes(`${stateDir}/`));
}

/** Throws when another state dir's cluster runs, naming it and how to stop it. */
export function refuseOtherCluster(stateDir: string): void {
  const others = otherClusters(stateDir);
  if (!others.length) return;
  const dirs = [...new Set(others.map((o) => /--config=(\S+)\/kubelet-config\.json/.exec(o.command)?.[1]).filter(Boolean))];
  const running = others.map((o) => `pid ${o.pid} ${o.command.split(' ')[0]}`).join(', ');
  throw new ClusterError(
    `Another local cluster is running on this machine (${running}${dirs.length ? `; state dir ${dirs.join(', ')}` : ''}). Only one can run at a time: use it (KUBECONFIG=<its state dir>/kubeconfig), or stop it with \`health-predict cluster down --state-dir ${dirs[0] ?? '<its state dir>'}\`.`,
  );
}

/**
 * SIGKILLs the containerd shims of `socket` that outlived containerd and removes their sockets
 * (containerd 1.6 names them /run/containerd/s/sha256(<socket>/<namespace>/<id>)); returns how many.
 */
export function killShims(socket: string): number {
  let killed = 0;
  for (const pid of processesMatching('containerd-shim', `-address ${socket}`)) {
    const command = commandOf(pid);
    if (!signal(pid, 'SIGKILL')) continue;
    killed++;
    const namespace = / -namespace (\S+)/.exec(command)?.[1];
    const id = / -id (\S+)/.exec(command)?.[1];
    if (namespace && id) rmSync(path.join('/run/containerd/s', createHash('sha256').update(path.join(socket, namespace, id)).digest('hex')), { force: true });
  }
  return killed;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // exited meanwhile
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The kubelet's pod cgroup tree (cgroupfs driver): v1's pids hierarchy, or the v2 unified one. */
const POD_CGROUP_ROOTS = ['/sys/fs/cgroup/pids/kubepods', '/sys/fs/cgroup/kubepods'];

/** SIGKILLs every process still in a pod cgroup — what CRI could not remove (e.g. containerd had died). Returns how many. */
export function killPodProcesses(): number {
  let killed = 0;
  const visit = (dir: string) => {
    for (const line of readLines(path.join(dir, 'cgroup.procs'))) if (signal(Number(line), 'SIGKILL')) killed++;
    for (const entry of readdirSafe(dir)) {
      const child = path.join(dir, entry);
      if (statSafe(child)?.isDirectory()) visit(child);
    }
  };
  for (const root of POD_CGROUP_ROOTS) if (existsSync(root)) visit(root);
  return killed;
}

const readLines = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((line) => /^\d+$/.test(line));
  } catch {
    return [];
  }
};

const statSafe = (file: string) => {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
};

/** Pids whose command line contains every one of `parts` (e.g. containerd shims of one socket). */
export function processesMatching(...parts: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((part) => cmd.includes(part))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
