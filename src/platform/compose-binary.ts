/**
 * The Docker Compose CLI the platform runs. Airflow's compose file needs Compose >= v2.14 and
 * Debian 12 ships 1.29, so scripts/compose/build.sh builds COMPOSE_VERSION from the Go module proxy
 * once per machine into `<machine cache>/bin/docker-compose` (stamped; a second run is a no-op), at
 * the lowest CPU priority with GOMAXPROCS=2: the machine is shared. `HP_DOCKER_COMPOSE` names a
 * Compose binary to use instead, after checking its version.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { withLock } from '../host/lock.ts';
import { machineCacheDir } from '../host/machine-cache.ts';
import { findExecutable } from '../host/process.ts';
import { REPO_ROOT } from '../host/repo-root.ts';
import { ComposeBuildError, ComposeVersionError } from './errors.ts';

export const COMPOSE_VERSION = 'v5.6.0';
export const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'compose', 'build.sh');

/** The oldest Compose that runs Airflow's official docker-compose.yaml. */
export const MIN_COMPOSE_VERSION = { major: 2, minor: 14, patch: 0 } as const;

export interface ComposeVersion {
  /** As the binary printed it, e.g. `5.6.0` or `v2.29.1`. */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** `<machine cache>/bin/docker-compose`: the machine cache is `HP_CACHE_DIR`, `$XDG_CACHE_HOME/health-predict` or `~/.cache/health-predict`. */
export const composeBinaryPath = (env: NodeJS.ProcessEnv = process.env): string => path.join(machineCacheDir(env), 'bin', 'docker-compose');

const stampPath = (env: NodeJS.ProcessEnv) => path.join(path.dirname(composeBinaryPath(env)), '.stamp-compose');

/** True when the built binary exists and its stamp names COMPOSE_VERSION. */
export function composeBinaryPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    return isExecutableFile(composeBinaryPath(env)) && readFileSync(stampPath(env), 'utf8').trim() === COMPOSE_VERSION;
  } catch {
    return false;
  }
}

/** What `docker-compose version --short` prints: `5.6.0`, `v2.29.1`, `2.29.7-desktop.1`, `1.29.2`. */
const shortVersion = z
  .string()
  .trim()
  .regex(/^v?\d+\.\d+\.\d+(?:[-+]\S*)?$/)
  .transform((text): ComposeVersion => {
    const [major, minor, patch] = text.replace(/^v/, '').split(/[.+-]/).map(Number) as [number, number, number];
    return { text, major, minor, patch };
  });

/** Parses the output of `version --short`; throws ComposeVersionError naming `source` when it is not a version. */
export function parseComposeVersion(output: string, source = 'docker-compose'): ComposeVersion {
  const parsed = shortVersion.safeParse(output);
  if (!parsed.success) throw new ComposeVersionError(`\`${source} version --short\` printed ${JSON.stringify(output.trim())}, which is not a version like 2.29.1.`);
  return parsed.data;
}

/** True when `version` is at least MIN_COMPOSE_VERSION. */
export function meetsMinimum(version: ComposeVersion): boolean {
  const { major, minor, patch } = MIN_COMPOSE_VERSION;
  if (version.major !== major) return version.major > major;
  if (version.minor !== minor) return version.minor > minor;
  return version.patch >= patch;
}

/** Runs `<binary> version --short` and parses what it prints. */
export async function composeVersion(binary: string): Promise<ComposeVersion> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(binary, ['version', '--short'], { timeout: 30_000, encoding: 'utf8' }));
  } catch (error) {
    throw new ComposeVersionError(`\`${binary} version --short\` failed: ${(error as Error).message.trim()}`, { cause: error });
  }
  return parseComposeVersion(stdout, binary);
}

/**
 * The path of a Docker Compose binary >= v2.14: `HP_DOCKER_COMPOSE` when set (its version checked),
 * else the one built into the machine cache, building it first when missing (passing each line of
 * the build's output to `onLine`; concurrent callers wait for one build).
 */
export async function ensureComposeBinary(options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}): Promise<string> {
  const env = options.env ?? process.env;
  if (env.HP_DOCKER_COMPOSE) return checkedOverride(env.HP_DOCKER_COMPOSE, env);
  if (composeBinaryPresent(env)) return composeBinaryPath(env);
  return withLock(machineCacheDir(env), 'compose-build', async () => {
    if (!composeBinaryPresent(env)) await runBuild(env, options.onLine);
    return composeBinaryPath(env);
  }, BUILD_WAIT_MS);
}

/** A cold build took about 2.5 minutes on two busy cores; a waiting caller gives up after half an hour. */
const BUILD_WAIT_MS = 30 * 60_000;

async function checkedOverride(value: string, env: NodeJS.ProcessEnv): Promise<string> {
  const binary = value.includes('/') ? path.resolve(value) : findExecutable(value, env);
  if (binary === undefined || !isExecutableFile(binary)) {
    throw new ComposeVersionError(`HP_DOCKER_COMPOSE=${value} is not an executable file. Point it at a Docker Compose >= 2.14, or unset it to build ${COMPOSE_VERSION} into ${composeBinaryPath(env)}.`);
  }
  const version = await composeVersion(binary);
  if (!meetsMinimum(version)) {
    const { major, minor } = MIN_COMPOSE_VERSION;
    throw new ComposeVersionError(
      `HP_DOCKER_COMPOSE=${value} is Docker Compose ${version.text}; Airflow's compose file needs >= ${major}.${minor}. Point it at a newer one, or unset it to build ${COMPOSE_VERSION} into ${composeBinaryPath(env)}.`,
    );
  }
  return binary;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function runBuild(env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<void> {
  const outDir = machineCacheDir(env);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { env: { ...env, COMPOSE_VERSION, OUT_DIR: outDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const record = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      onLine?.(line);
    };
    child.stdout.on('data', lineSplitter(record));
    child.stderr.on('data', lineSplitter(record));
    child.once('error', (error) => reject(new ComposeBuildError(`Cannot run ${BUILD_SCRIPT}: ${error.message}`, { cause: error })));
    child.once('close', (code) => {
      if (code === 0) return resolve();
      reject(
        new ComposeBuildError(
          `Building docker-compose ${COMPOSE_VERSION} into ${outDir} failed (exit ${code}). Run it again to resume (downloads are kept until a build succeeds), or set HP_DOCKER_COMPOSE to a Docker Compose >= 2.14. Last output:\n${tail.join('\n')}`,
        ),
      );
    });
  });
}

/** Calls `onLine` for each complete line of a stream of chunks. */
function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}
