/**
 * Reads an image manifest from a registry's HTTP API (v2) with basic auth, as the local
 * docker-registry (or any registry that takes a basic-auth login) serves it. The digest ECR records is the sha256 of exactly these bytes.
 */
import { createHash } from 'node:crypto';
import { CredentialsRefusedError, NonRetryableError } from '../runtime/errors.ts';
import type { RegistryLogin } from './config.ts';
import { RegistryUnavailableError } from './errors.ts';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface RegistryManifest {
  body: string;
  mediaType: string;
  digest: string;
}

/** Plain HTTP on loopback (as dockerd allows by default, and the local registry serves), TLS anywhere else. */
const schemeFor = (address: string) => (/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(address) ? 'http' : 'https');

export async function fetchManifest(login: RegistryLogin, repository: string, reference: string): Promise<RegistryManifest> {
  const url = `${schemeFor(login.address)}://${login.address}/v2/${repository}/manifests/${reference}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: MANIFEST_TYPES.join(', '), authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new RegistryUnavailableError(`The registry ${login.address} did not answer GET ${url}: ${(error as Error).message}.`, { cause: error });
  }
  const body = await response.text();
  if (response.status === 401 || response.status === 403) throw new CredentialsRefusedError(`The registry ${login.address} refused user ${login.username} reading ${url} (HTTP ${response.status}).`);
  if (response.status >= 500) throw new RegistryUnavailableError(`The registry ${login.address} failed GET ${url} (HTTP ${response.status}): ${body.slice(0, 200)}`);
  if (response.status !== 200) throw new NonRetryableError(`The registry ${login.address} has no manifest ${repository}:${reference} (HTTP ${response.status}): ${body.slice(0, 200)}`);
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const stated = response.headers.get('docker-content-digest');
  if (stated && stated !== digest) throw new NonRetryableError(`The registry ${login.address} states digest ${stated} for ${repository}:${reference}, but its bytes hash to ${digest}.`);
  return { body, mediaType: response.headers.get('content-type')?.split(';')[0]?.trim() || (JSON.parse(body) as { mediaType?: string }).mediaType || MANIFEST_TYPES[0]!, digest };
}
