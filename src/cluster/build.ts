/**
 * The cluster binaries, built once per machine by scripts/cluster/build.sh into
 * `<cache>/<k8s version>/bin` (stamped; a second run is a no-op). Builds run at the lowest CPU
 * priority with GOMAXPROCS=2: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { withLock } from '../host/lock.ts';
import { REPO_ROOT } from '../host/repo-root.ts';
import { ClusterError } from './errors.ts';
import { defaultCacheRoot } from './layout.ts';
import { CRICTL_VERSION, ETCD_VERSION, K8S_VERSION } from './versions.ts';

export const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'cluster', 'build.sh');
export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kubectl', 'crictl', 'hp-pause', 'hp-echo'] as const;

export const binDir = (cacheRoot = defaultCacheRoot()) => path.join(cacheRoot, K8S_VERSION, 'bin');

/** True when every binary exists and each part's stamp names the wanted version (the helpers' stamp is checked by the script). */
export function binariesPresent(cacheRoot = defaultCacheRoot()): boolean {
  const bin = binDir(cacheRoot);
  const stamp = (part: string) => {
    try {
      return readFileSync(path.join(bin, `.stamp-${part}`), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  return BINARIES.every((name) => existsSync(path.join(bin, name))) && stamp('k8s') === K8S_VERSION && stamp('etcd') === ETCD_VERSION && stamp('crictl') === CRICTL_VERSION;
}

/**
 * Runs the build script (a no-op when everything is built), passing each output line to `onLine`;
 * concurrent callers wait for one build. Returns the bin directory.
 */
export function ensureBinaries(options: { cacheRoot?: string; onLine?: (line: string) => void } = {}): Promise<string> {
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const outDir = path.dirname(binDir(cacheRoot));
  return withLock(outDir, 'build', () => runBuild(cacheRoot, outDir, options.onLine), BUILD_WAIT_MS);
}

/** A cold build took over 40 minutes on two busy cores; a waiting caller gives up after three hours. */
const BUILD_WAIT_MS = 3 * 3_600_000;

function runBuild(cacheRoot: string, outDir: string, onLine?: (line: string) => void): Promise<string> {
  const env = { ...process.env, K8S_VERSION, ETCD_VERSION, CRICTL_VERSION, OUT_DIR: outDir };
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(new ClusterError(`Cannot run ${BUILD_SCRIPT}: ${error.message}`, { cause: error })));
    child.once('close', (code) => {
      if (code === 0) return resolve(binDir(cacheRoot));
      reject(new ClusterError(`Building the cluster binaries into ${outDir} failed (exit ${code}). Re-run \`health-predict cluster up\` to resume (downloads and compiled packages are kept until a build succeeds). Last output:\n${tail.join('\n')}`));
    });
  });
}
