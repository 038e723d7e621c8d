/**
 * The images every node needs without a registry: the pod sandbox (pause) and a tiny HTTP server
 * for smoke tests, each one static binary in a single-layer image, imported when missing or stale.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { importImage, listImages } from './containerd.ts';
import { type Layout, echoImage, sandboxImage } from './layout.ts';
import { type BinaryImage, binaryImageArchive, writeBinaryImage } from './oci-image.ts';

export function nodeImages(bin: string): BinaryImage[] {
  return [
    { name: sandboxImage, binary: path.join(bin, 'hp-pause'), pathInImage: '/pause' },
    { name: echoImage, binary: path.join(bin, 'hp-echo'), pathInImage: '/hp-echo', exposedPorts: [8080], env: ['PATH=/', 'PORT=8080'] },
  ];
}

/** Imports each node image whose reference is missing or points at another digest; returns the references imported. */
export async function ensureNodeImages(layout: Layout, bin: string): Promise<string[]> {
  const present = await listImages(layout);
  const imported: string[] = [];
  for (const image of nodeImages(bin)) {
    if (present.get(image.name) === binaryImageArchive(image).digest) continue;
    mkdirSync(layout.images, { recursive: true });
    const file = path.join(layout.images, `${path.basename(image.binary)}.oci.tar`);
    writeBinaryImage(image, file);
    await importImage(layout, file);
    imported.push(image.name);
  }
  return imported;
}
