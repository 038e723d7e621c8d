/**
 * A single-layer OCI image archive holding one static binary — how the node gets its pause image
 * and test workloads without a registry. The archive is an OCI image layout in a tar (what
 * `ctr images import` reads), with `io.containerd.image.name` naming the image.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export interface BinaryImage {
  /** Full reference, e.g. `registry.k8s.io/pause:3.10` or `localhost/hp-echo:dev`. */
  name: string;
  /** The static binary to put in the image. */
  binary: string;
  /** Its path inside the image, e.g. `/pause`. */
  pathInImage: string;
  /** Image config: entrypoint, environment, exposed ports. */
  entrypoint?: string[];
  env?: string[];
  exposedPorts?: number[];
}

const BLOCK = 512;

/** One ustar header block. */
function tarHeader(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  const header = Buffer.alloc(BLOCK);
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'utf8');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0');
  field(name, 0, 100);
  field(octal(mode, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(size, 12), 124, 12);
  field(octal(0, 12), 136, 12); // mtime 0: the same binary always gives the same digest
  field('        ', 148, 8);
  field(type, 156, 1);
  field('ustar\u000000', 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${octal(sum, 7)}\u0000`, 148, 8);
  return header;
}

interface TarEntry {
  name: string;
  data?: Buffer;
  mode?: number;
}

/** A tar of `entries` (a name ending in `/` is a directory). Names must be < 100 bytes. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (Buffer.byteLength(entry.name) >= 100) throw new Error(`Tar entry name too long for ustar: ${entry.name}`);
    const isDir = entry.name.endsWith('/');
    const data = entry.data ?? Buffer.alloc(0);
    parts.push(tarHeader(entry.name, isDir ? 0 : data.length, entry.mode ?? (isDir ? 0o755 : 0o644), isDir ? '5' : '0'));
    if (!isDir) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The OCI layout archive for `image` and its manifest digest (what `ctr images ls` shows); deterministic for the same inputs. */
export function binaryImageArchive(image: BinaryImage): { archive: Buffer; digest: string } {
  const inImage = image.pathInImage.replace(/^\/+/, '');
  const dirs = inImage.split('/').slice(0, -1).map((_, i, all) => `${all.slice(0, i + 1).join('/')}/`);
  const layer = tar([...dirs.map((name) => ({ name })), { name: 'tmp/', mode: 0o1777 }, { name: inImage, data: readFileSync(image.binary), mode: 0o755 }]);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: image.entrypoint ?? [image.pathInImage],
        Env: image.env ?? ['PATH=/'],
        ExposedPorts: Object.fromEntries((image.exposedPorts ?? []).map((port) => [`${port}/tcp`, {}])),
        WorkingDir: '/',
      },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
      history: [{ created_by: `health-predict cluster: ${image.pathInImage}` }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const tag = image.name.slice(image.name.lastIndexOf(':') + 1);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256(manifest),
          size: manifest.length,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'io.containerd.image.name': image.name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const blob = (data: Buffer) => ({ name: `blobs/sha256/${sha256(data).slice('sha256:'.length)}`, data });
  const archive = tar([
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: index },
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
  return { archive, digest: sha256(manifest) };
}

/** Writes the archive for `image` to `file`; returns the manifest digest. */
export function writeBinaryImage(image: BinaryImage, file: string): string {
  const { archive, digest } = binaryImageArchive(image);
  writeFileSync(file, archive);
  return digest;
}
