/** The single-layer OCI archive: a valid tar, a consistent image layout, the same digest for the same binary. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binaryImageArchive, writeBinaryImage } from '../../../src/cluster/oci-image.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-oci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const binary = path.join(dir, 'tool');
writeFileSync(binary, `#!/bin/sh\necho ${'x'.repeat(700)}\n`); // not a multiple of 512 bytes: exercises padding
chmodSync(binary, 0o755);
const image = { name: 'localhost/test/tool:1.0', binary, pathInImage: '/usr/bin/tool', exposedPorts: [8080] };

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const blob = (root: string, digest: string) => readFileSync(path.join(root, 'blobs', 'sha256', digest.slice('sha256:'.length)));

describe('binaryImageArchive', () => {
  it('writes an OCI layout that tar extracts, whose blobs match their digests and name the image', () => {
    const file = path.join(dir, 'image.tar');
    const digest = writeBinaryImage(image, file);
    const root = path.join(dir, 'extracted');
    mkdirSync(root);
    execFileSync('tar', ['-xf', file, '-C', root]);

    expect(JSON.parse(readFileSync(path.join(root, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(path.join(root, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({ digest, annotations: { 'io.containerd.image.name': image.name, 'org.opencontainers.image.ref.name': '1.0' } });

    const manifestBytes = blob(root, digest);
    expect(sha(manifestBytes)).toBe(digest);
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    const config = JSON.parse(blob(root, manifest.config.digest).toString('utf8'));
    expect(config.config).toMatchObject({ Entrypoint: ['/usr/bin/tool'], ExposedPorts: { '8080/tcp': {} } });
    const layer = blob(root, manifest.layers[0].digest);
    expect(sha(layer)).toBe(manifest.layers[0].digest);
    expect(config.rootfs.diff_ids).toEqual([manifest.layers[0].digest]); // uncompressed layer: diff id = digest

    const layerRoot = path.join(dir, 'layer');
    mkdirSync(layerRoot);
    writeFileSync(path.join(dir, 'layer.tar'), layer);
    execFileSync('tar', ['-xf', path.join(dir, 'layer.tar'), '-C', layerRoot]);
    const extracted = path.join(layerRoot, 'usr', 'bin', 'tool');
    expect(readFileSync(extracted)).toEqual(readFileSync(binary));
    expect(statSync(extracted).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(layerRoot, 'tmp')).mode & 0o1777).toBe(0o1777);
  });

  it('is deterministic: the same binary gives the same digest, another binary another one', () => {
    expect(binaryImageArchive(image).digest).toBe(binaryImageArchive(image).digest);
    const other = path.join(dir, 'other');
    writeFileSync(other, 'different');
    expect(binaryImageArchive({ ...image, binary: other }).digest).not.toBe(binaryImageArchive(image).digest);
  });

  it('refuses a path tar cannot store in a ustar header', () => {
    expect(() => binaryImageArchive({ ...image, pathInImage: `/${'d'.repeat(120)}/tool` })).toThrow(/too long/);
  });
});
