/**
 * `health-predict/node-base:<node major>-bookworm`: the local stand-in for `node:20-bookworm-slim`
 * (no registry mirror of Docker Hub here). Imported from the cached root filesystem tarball
 * (see rootfs.ts); labelled with the exact Node version and the tarball's layout, so a Node
 * upgrade or a layout change (npm added) rebuilds it.
 * Real users keep the Dockerfile's default BASE_IMAGE; tests and the local stack pass this tag.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { machineCacheDir } from '../host/machine-cache.ts';
import { classifyDockerError, ensureDaemon, type ImageLog, inspectImage, silentLog } from './docker.ts';
import { BaseImageError } from './errors.ts';
import { followJsonStream } from './json-stream.ts';
import { CA_BUNDLE, ensureRootfsTarball, ROOTFS_LAYOUT } from './rootfs.ts';

export const BASE_IMAGE_REPOSITORY = 'health-predict/node-base';
export const NODE_VERSION_LABEL = 'org.health-predict.node-version';
export const LAYOUT_LABEL = 'org.health-predict.rootfs-layout';

/** e.g. `health-predict/node-base:20-bookworm` for Node v20.x. */
export function baseImageTag(nodeVersion: string = process.version): string {
  const major = /^v?(\d+)\./.exec(nodeVersion)?.[1] ?? 'unknown';
  return `${BASE_IMAGE_REPOSITORY}:${major}-bookworm`;
}

/** Where the root filesystem tarballs are cached: `<machine cache>/base-images`. */
export function baseImageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(machineCacheDir(env), 'base-images');
}

export interface BaseImageOptions {
  docker: Docker;
  /** Default `<machine cache>/base-images`. */
  cacheDir?: string;
  nodeVersion?: string;
  nodeBinary?: string;
  /** Debian mirror (default HP_DEBIAN_MIRROR, else deb.debian.org). */
  mirror?: string;
  /** Rebuild the root filesystem and re-import even when both exist. */
  rebuild?: boolean;
  log?: ImageLog;
}

export interface BaseImageResult {
  tag: string;
  imageId: string;
  /** present: the image was there; imported: from the cached tarball; built: debootstrap ran too. */
  source: 'present' | 'imported' | 'built';
  rootfsMs: number;
  importMs: number;
}

/** Makes sure the base image for this Node version is in the daemon; fast when it already is. */
export async function ensureBaseImage(options: BaseImageOptions): Promise<BaseImageResult> {
  const { docker } = options;
  const log = options.log ?? silentLog;
  const nodeVersion = options.nodeVersion ?? process.version;
  const tag = baseImageTag(nodeVersion);
  await ensureDaemon(docker, log);
  const present = await inspectImage(docker, tag);
  const labels = present?.Config?.Labels ?? {};
  if (present && labels[NODE_VERSION_LABEL] === nodeVersion && labels[LAYOUT_LABEL] === ROOTFS_LAYOUT && !options.rebuild) {
    return { tag, imageId: present.Id, source: 'present', rootfsMs: 0, importMs: 0 };
  }
  const rootfs = await ensureRootfsTarball({
    dir: options.cacheDir ?? baseImageCacheDir(),
    nodeBinary: options.nodeBinary,
    nodeVersion,
    mirror: options.mirror ?? process.env.HP_DEBIAN_MIRROR,
    rebuild: options.rebuild,
    log,
  });
  const started = performance.now();
  log.info({ tag, rootfs: rootfs.file }, `importing ${rootfs.file} as ${tag}`);
  const changes = [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `ENV NODE_VERSION=${nodeVersion.replace(/^v/, '')}`,
    // node's own roots do not include the machine's locally added CAs; the copied bundle does
    `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
    `ENV SSL_CERT_FILE=${CA_BUNDLE}`,
    `LABEL ${NODE_VERSION_LABEL}=${nodeVersion}`,
    `LABEL ${LAYOUT_LABEL}=${ROOTFS_LAYOUT}`,
    'CMD ["node"]',
  ];
  let stream: NodeJS.ReadableStream;
  try {
    const [repo, version] = tag.split(':') as [string, string];
    stream = await docker.importImage(createReadStream(rootfs.file), { repo, tag: version, changes });
  } catch (error) {
    throw classifyDockerError(error, `importing ${rootfs.file} as ${tag}`, docker);
  }
  const result = await followJsonStream(stream);
  if (result.error) throw new BaseImageError(`Docker could not import ${rootfs.file} as ${tag}: ${result.error}. Delete the tarball to rebuild it (\`health-predict stack base-image --rebuild\`).`);
  const imported = await inspectImage(docker, tag);
  if (!imported) throw new BaseImageError(`Docker reported importing ${tag} but does not list it afterwards.`);
  const importMs = Math.round(performance.now() - started);
  log.info({ tag, image_id: imported.Id, ms: importMs }, `base image ${tag} ready`);
  return { tag, imageId: imported.Id, source: rootfs.built ? 'built' : 'imported', rootfsMs: rootfs.ms, importMs };
}
