/**
 * Debian's `docker-registry` (distribution 2.8) as a stack service: bound to 127.0.0.1 (dockerd
 * trusts 127.0.0.0/8 registries over plain HTTP), htpasswd basic auth with a password generated
 * once per state dir and kept in `<state>/registry/credentials.json` (mode 0600), images in
 * `<state>/registry/data`. It stands in for ECR's registry endpoint: moto serves the ECR API
 * but not image layers (see src/ecr/publish.ts for how the two are paired).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { findExecutable } from '../host/process.ts';
import { probe } from './health.ts';
import type { LaunchContext, ServiceSpec } from './services.ts';

/** ECR tokens decode to `AWS:<password>`; the local registry uses the same user name. */
export const REGISTRY_USERNAME = 'AWS';

const credentialsSchema = z.object({ username: z.string().min(1), password: z.string().min(16) });
export type RegistryCredentials = z.infer<typeof credentialsSchema>;

export function registryPaths(stateDir: string) {
  const dir = path.join(stateDir, 'registry');
  return {
    dir,
    config: path.join(dir, 'config.yml'),
    htpasswd: path.join(dir, 'htpasswd'),
    credentials: path.join(dir, 'credentials.json'),
    data: path.join(dir, 'data'),
  };
}

/** The registry's user and password, or undefined before it was first started in this state dir. */
export function readRegistryCredentials(stateDir: string): RegistryCredentials | undefined {
  const file = registryPaths(stateDir).credentials;
  if (!existsSync(file)) return undefined;
  const parsed = credentialsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a registry credentials file (${z.prettifyError(parsed.error)}). Delete it; the next \`stack up\` generates a new password.`);
  return parsed.data;
}

function ensureCredentials(stateDir: string): RegistryCredentials {
  const existing = readRegistryCredentials(stateDir);
  if (existing) return existing;
  const credentials = { username: REGISTRY_USERNAME, password: randomBytes(24).toString('base64url') };
  mkdirSync(registryPaths(stateDir).dir, { recursive: true });
  writeFileSync(registryPaths(stateDir).credentials, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  return credentials;
}

/** bcrypt htpasswd line via apache2-utils; the password goes through stdin, never argv. */
function htpasswdLine(htpasswd: string, { username, password }: RegistryCredentials): string {
  const result = spawnSync(htpasswd, ['-niB', username], { input: password, encoding: 'utf8' });
  const line = result.stdout?.trim();
  if (result.status !== 0 || !line?.startsWith(`${username}:`)) {
    throw new Error(`htpasswd could not hash the registry password (exit ${result.status}): ${result.stderr?.trim() || result.error?.message || 'no output'}`);
  }
  return line;
}

/** distribution's YAML config; paths are JSON-quoted (a JSON string is a valid YAML scalar). */
function registryConfig(paths: ReturnType<typeof registryPaths>, port: number): string {
  const q = JSON.stringify;
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  fields:',
    '    service: registry',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(paths.data)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: ${q(`127.0.0.1:${port}`)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    'auth:',
    '  htpasswd:',
    '    realm: health-predict-local-registry',
    `    path: ${q(paths.htpasswd)}`,
    'health:',
    '  storagedriver:',
    '    enabled: true',
    '    interval: 10s',
    '    threshold: 3',
    '',
  ].join('\n');
}

export function basicAuth({ username, password }: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export const registryService: ServiceSpec = {
  name: 'registry',
  title: 'Docker registry (docker-registry, htpasswd auth)',
  // Not 5000: MLflow's default.
  defaultPort: 5002,
  startTimeoutMs: 30_000,
  marker: 'docker-registry',
  healthPath: '/v2/',
  healthy: (status) => status === 200,
  // Healthy means our credentials open it, not merely that it answers 401.
  async probe({ url, stateDir, timeoutMs }) {
    const credentials = readRegistryCredentials(stateDir);
    return credentials !== undefined && probe(`${url}/v2/`, (status) => status === 200, timeoutMs, { authorization: basicAuth(credentials) });
  },
  preflight({ env }) {
    const missing = ['docker-registry', 'htpasswd'].filter((name) => !findExecutable(name, env));
    return missing.length ? `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not installed. Run \`make setup-docker\` (as root it installs Debian's docker-registry and apache2-utils)` : undefined;
  },
  installHint: () => "Run `make setup-docker` (as root it installs Debian's docker-registry and apache2-utils).",
  launch({ stateDir, port, env }: LaunchContext) {
    const paths = registryPaths(stateDir);
    mkdirSync(paths.data, { recursive: true });
    const credentials = ensureCredentials(stateDir);
    writeFileSync(paths.htpasswd, `${htpasswdLine(findExecutable('htpasswd', env) ?? 'htpasswd', credentials)}\n`, { mode: 0o600 });
    writeFileSync(paths.config, registryConfig(paths, port));
    return {
      command: findExecutable('docker-registry', env) ?? 'docker-registry',
      args: ['serve', paths.config],
      env,
    };
  },
};
