/**
 * The base image's root filesystem without Docker Hub: `debootstrap --variant=minbase bookworm`
 * from the Debian mirror, this machine's `node` binary in /usr/local/bin and its npm in
 * /usr/local/lib/node_modules (where node:20-bookworm-slim has them), the machine's CA bundle,
 * packed as a tarball in
 * the machine cache keyed by Node version and architecture. Building takes about a minute;
 * afterwards the tarball is reused (by every checkout and every fresh Docker store).
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { logTail } from '../host/log-tail.ts';
import { withLock } from '../host/lock.ts';
import { releaseMounts } from '../host/mounts.ts';
import { findExecutable } from '../host/process.ts';
import type { ImageLog } from './docker.ts';
import { BaseImageError, BuildInputError } from './errors.ts';

export const DEBIAN_SUITE = 'bookworm';
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** What the root filesystem holds besides Debian; a change makes a new tarball (and image). */
export const ROOTFS_LAYOUT = 'node-npm-ca';

/** Certificate authorities added on this machine (e.g. a TLS-inspecting proxy's), and the bundle that includes them. */
const LOCAL_CA_DIR = '/usr/local/share/ca-certificates';
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Documentation, manuals, translations and package indexes: nothing a Node service reads. */
const TRIMMED = ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/cache/apt', 'var/lib/apt/lists', 'var/log'];

export interface RootfsOptions {
  /** Directory for the tarballs (and debootstrap's package cache). */
  dir: string;
  /** The node binary to copy in (default: the one running this code). */
  nodeBinary?: string;
  nodeVersion?: string;
  mirror?: string;
  /** Build again even when the tarball exists. */
  rebuild?: boolean;
  log: ImageLog;
}

export interface RootfsResult {
  file: string;
  built: boolean;
  ms: number;
}

export function rootfsTarball(dir: string, nodeVersion: string = process.version, arch: string = process.arch): string {
  return path.join(dir, `node-base-${DEBIAN_SUITE}-node${nodeVersion}-${ROOTFS_LAYOUT}-${arch}.tar`);
}

/** The package directory of the npm that came with this machine's Node (npm's bin entry is a symlink into it). */
export function hostNpmDir(): string {
  const npm = findExecutable('npm');
  if (!npm) throw new BuildInputError('Cannot build the base image: npm is not installed beside node (the Airflow image runs `npm ci` in it).');
  return path.dirname(path.dirname(realpathSync(npm)));
}

/**
 * The machine's trust: its CA bundle, and the CAs added to it locally (kept by Debian's
 * update-ca-certificates when an image installs ca-certificates), so package managers in images
 * built FROM this base reach their registries through the same TLS-inspecting proxy as the host.
 */
function copyMachineTrust(rootfs: string): void {
  if (existsSync(LOCAL_CA_DIR)) cpSync(LOCAL_CA_DIR, path.join(rootfs, LOCAL_CA_DIR), { recursive: true });
  if (!existsSync(CA_BUNDLE)) return;
  mkdirSync(path.join(rootfs, path.dirname(CA_BUNDLE)), { recursive: true });
  copyFileSync(CA_BUNDLE, path.join(rootfs, CA_BUNDLE));
}

/** Runs a command with output to `logFile`; rejects with the log's tail when it fails. */
function run(command: string, args: string[], logFile: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.once('error', (error) => reject(new BaseImageError(`${what} could not start (${command}): ${error.message}.`, { cause: error })));
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new BaseImageError(`${what} ${how}. See ${logFile}:\n${logTail(logFile, 15)}`));
    });
  });
}

/** Removes a build dir, unmounting what a failed debootstrap left mounted first (never deletes through a mount). */
function removeBuildDir(dir: string, log: ImageLog): void {
  const left = releaseMounts(dir);
  if (left.length) {
    log.warn({ dir, mounts: left }, `left ${dir} in place: ${left.join(', ')} is still mounted; unmount it and delete the directory by hand`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

function preconditions(): void {
  hostNpmDir();
  const missing = ['debootstrap', 'tar', 'chroot'].filter((name) => !findExecutable(name));
  if (missing.length) throw new BuildInputError(`Cannot build the base image's root filesystem: ${missing.join(', ')} not installed. Run \`make setup-docker\`.`);
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0) throw new BuildInputError(`Cannot build the base image's root filesystem: debootstrap must run as root (this process runs as uid ${uid}).`);
}

/** The cached tarball for this Node version, built first when missing (one builder at a time per cache dir). */
export async function ensureRootfsTarball(options: RootfsOptions): Promise<RootfsResult> {
  const nodeVersion = options.nodeVersion ?? process.version;
  const file = rootfsTarball(options.dir, nodeVersion);
  mkdirSync(options.dir, { recursive: true });
  return withLock(
    options.dir,
    'rootfs',
    async () => {
      if (existsSync(file) && !options.rebuild) return { file, built: false, ms: 0 };
      preconditions();
      const started = performance.now();
      const work = mkdtempSync(path.join(options.dir, '.build-'));
      const rootfs = path.join(work, 'rootfs');
      const logFile = path.join(options.dir, 'debootstrap.log');
      try {
        const mirror = options.mirror ?? DEFAULT_DEBIAN_MIRROR;
        options.log.info({ mirror, suite: DEBIAN_SUITE, log: logFile }, `building the base root filesystem: debootstrap --variant=minbase ${DEBIAN_SUITE} (about a minute; cached afterwards)`);
        const debs = path.join(options.dir, 'debs');
        mkdirSync(debs, { recursive: true });
        await run(findExecutable('debootstrap')!, ['--variant=minbase', `--cache-dir=${debs}`, DEBIAN_SUITE, rootfs, mirror], logFile, `debootstrap from ${mirror}`);
        const node = path.join(rootfs, 'usr/local/bin/node');
        copyFileSync(options.nodeBinary ?? process.execPath, node);
        chmodSync(node, 0o755);
        cpSync(hostNpmDir(), path.join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
        symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(rootfs, 'usr/local/bin/npm'));
        symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(rootfs, 'usr/local/bin/npx'));
        // Proves the binary's shared libraries resolve inside the new root (a host newer than bookworm would fail here).
        await run(findExecutable('chroot')!, [rootfs, '/usr/local/bin/node', '--version'], logFile, `node ${nodeVersion} inside the ${DEBIAN_SUITE} root filesystem`);
        copyMachineTrust(rootfs);
        await run(findExecutable('chroot')!, [rootfs, '/usr/local/bin/npm', '--version'], logFile, `npm inside the ${DEBIAN_SUITE} root filesystem`);
        for (const entry of TRIMMED) {
          rmSync(path.join(rootfs, entry), { recursive: true, force: true });
          mkdirSync(path.join(rootfs, entry), { recursive: true });
        }
        const partial = `${file}.partial`;
        await run(findExecutable('tar')!, ['--numeric-owner', '-C', rootfs, '-cf', partial, '.'], logFile, 'packing the root filesystem');
        renameSync(partial, file);
        const ms = Math.round(performance.now() - started);
        options.log.info({ file, ms }, `base root filesystem cached in ${file}`);
        return { file, built: true, ms };
      } finally {
        removeBuildDir(work, options.log);
      }
    },
    20 * 60_000,
  );
}
