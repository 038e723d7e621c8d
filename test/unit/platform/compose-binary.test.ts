/**
 * The Docker Compose binary: version parsing and the >= 2.14 rule, the machine-cache path and its
 * stamp, the HP_DOCKER_COMPOSE override (tiny scripts printing a version), the build script's
 * refusals, and the binary this machine built.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILD_SCRIPT,
  COMPOSE_VERSION,
  composeBinaryPath,
  composeBinaryPresent,
  composeVersion,
  ensureComposeBinary,
  meetsMinimum,
  parseComposeVersion,
} from '../../../src/platform/compose-binary.ts';
import { ComposeBuildError, ComposeVersionError } from '../../../src/platform/errors.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-compose-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An executable shell script at `file` with `body`. */
const script = (file: string, body: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
};

/** A fake Compose that prints `version` for `version --short` (and fails on anything else). */
const fakeCompose = (file: string, version: string) => script(file, `[ "$1 $2" = "version --short" ] || exit 2\necho '${version}'`);

/** A machine cache holding a binary at the built path, stamped with `stamp` when given. */
const cacheWith = (stamp?: string) => {
  const env = { ...process.env, HP_CACHE_DIR: tempDir(), HP_DOCKER_COMPOSE: '' };
  fakeCompose(composeBinaryPath(env), '5.6.0');
  if (stamp !== undefined) writeFileSync(path.join(path.dirname(composeBinaryPath(env)), '.stamp-compose'), `${stamp}\n`);
  return env;
};

/** PATH without Go: the build script must refuse before it creates anything. */
const PATH_WITHOUT_GO = '/usr/bin:/bin';

describe('parseComposeVersion and meetsMinimum', () => {
  it('reads what `version --short` prints, with or without the v, with a suffix', () => {
    expect(parseComposeVersion('5.6.0\n')).toEqual({ text: '5.6.0', major: 5, minor: 6, patch: 0 });
    expect(parseComposeVersion('v2.29.1')).toEqual({ text: 'v2.29.1', major: 2, minor: 29, patch: 1 });
    expect(parseComposeVersion('2.29.7-desktop.1')).toMatchObject({ major: 2, minor: 29, patch: 7 });
  });

  it('refuses output that is not a version, quoting it', () => {
    expect(() => parseComposeVersion('docker-compose version 1.29.2, build unknown', 'dc')).toThrow(ComposeVersionError);
    expect(() => parseComposeVersion('', 'dc')).toThrow(/`dc version --short` printed ""/);
    expect(() => parseComposeVersion('2.14')).toThrow(/printed "2.14"/);
  });

  it('accepts 2.14.0 and later, refuses anything older', () => {
    const meets = (text: string) => meetsMinimum(parseComposeVersion(text));
    for (const text of ['2.14.0', 'v2.14.1', '2.29.1', '2.100.0', '3.0.0', '5.6.0']) expect(meets(text), text).toBe(true);
    for (const text of ['2.13.9', 'v2.2.3', '1.29.2', '1.99.99', '0.14.0']) expect(meets(text), text).toBe(false);
  });
});

describe('the built binary in the machine cache', () => {
  it('lives at <machine cache>/bin/docker-compose, ~/.cache/health-predict by default', () => {
    expect(composeBinaryPath({ HP_CACHE_DIR: '/srv/hp-cache' })).toBe('/srv/hp-cache/bin/docker-compose');
    expect(composeBinaryPath({ XDG_CACHE_HOME: '/srv/xdg' })).toBe('/srv/xdg/health-predict/bin/docker-compose');
    expect(composeBinaryPath({})).toBe(path.join(os.homedir(), '.cache', 'health-predict', 'bin', 'docker-compose'));
  });

  it('is present only with the binary and a stamp naming COMPOSE_VERSION', () => {
    expect(composeBinaryPresent({ HP_CACHE_DIR: tempDir() })).toBe(false);
    expect(composeBinaryPresent(cacheWith())).toBe(false);
    expect(composeBinaryPresent(cacheWith('v5.5.0'))).toBe(false);
    expect(composeBinaryPresent(cacheWith(COMPOSE_VERSION))).toBe(true);
  });

  it('ensureComposeBinary returns a present binary without building', async () => {
    const env = { ...cacheWith(COMPOSE_VERSION), PATH: PATH_WITHOUT_GO };
    const lines: string[] = [];
    await expect(ensureComposeBinary({ env, onLine: (line) => lines.push(line) })).resolves.toBe(composeBinaryPath(env));
    expect(lines).toEqual([]);
  });

  it('ensureComposeBinary runs the build script when the stamp is stale, and reports its failure with the output', async () => {
    const env = { ...cacheWith('v5.5.0'), PATH: PATH_WITHOUT_GO };
    const lines: string[] = [];
    const built = ensureComposeBinary({ env, onLine: (line) => lines.push(line) });
    await expect(built).rejects.toThrow(ComposeBuildError);
    await expect(built).rejects.toThrow(/exit 97\)[\s\S]*HP_DOCKER_COMPOSE[\s\S]*Last output:\nGo is not installed/);
    expect(lines).toEqual([expect.stringMatching(/^Go is not installed; install Go >= 1\.25 to build docker-compose v5\.6\.0/)]);
  });
});

describe('scripts/compose/build.sh', () => {
  const run = (env: NodeJS.ProcessEnv) => spawnSync('bash', [BUILD_SCRIPT], { env, encoding: 'utf8' });

  it('is a no-op when the binary is built and stamped with the wanted version', () => {
    const cache = cacheWith(COMPOSE_VERSION);
    const result = run({ PATH: PATH_WITHOUT_GO, COMPOSE_VERSION, OUT_DIR: cache.HP_CACHE_DIR });
    expect(result.stdout).toMatch(/already built/);
    expect(result.status).toBe(0);
  });

  it('exits 97 with a clear message when Go is missing', () => {
    const outDir = path.join(tempDir(), 'cache');
    const result = run({ PATH: PATH_WITHOUT_GO, COMPOSE_VERSION, OUT_DIR: outDir });
    expect(result.status).toBe(97);
    expect(result.stderr).toMatch(/Go is not installed/);
  });

  it('needs COMPOSE_VERSION and OUT_DIR', () => {
    expect(run({ PATH: PATH_WITHOUT_GO, OUT_DIR: tempDir() })).toMatchObject({ status: 1, stderr: expect.stringMatching(/COMPOSE_VERSION is required/) });
    expect(run({ PATH: PATH_WITHOUT_GO, COMPOSE_VERSION })).toMatchObject({ status: 1, stderr: expect.stringMatching(/OUT_DIR is required/) });
  });
});

describe('HP_DOCKER_COMPOSE', () => {
  const override = (value: string, extra: NodeJS.ProcessEnv = {}) => ensureComposeBinary({ env: { HP_CACHE_DIR: tempDir(), PATH: PATH_WITHOUT_GO, HP_DOCKER_COMPOSE: value, ...extra } });

  it('uses a Compose >= 2.14 it names, by path or by name on PATH', async () => {
    const dir = tempDir();
    const binary = fakeCompose(path.join(dir, 'my-compose'), 'v2.29.1');
    await expect(override(binary)).resolves.toBe(binary);
    await expect(override('my-compose', { PATH: `${dir}:${PATH_WITHOUT_GO}` })).resolves.toBe(binary);
  });

  it('refuses an older Compose, naming the version it found', async () => {
    const binary = fakeCompose(path.join(tempDir(), 'old-compose'), '2.13.0');
    await expect(override(binary)).rejects.toThrow(ComposeVersionError);
    await expect(override(binary)).rejects.toThrow(/is Docker Compose 2\.13\.0; Airflow's compose file needs >= 2\.14/);
  });

  it('refuses a file that is not executable, a binary that fails, and output that is not a version', async () => {
    const dir = tempDir();
    const plain = path.join(dir, 'plain');
    writeFileSync(plain, 'echo 2.29.1\n');
    await expect(override(plain)).rejects.toThrow(/is not an executable file/);
    await expect(override(path.join(dir, 'missing'))).rejects.toThrow(/is not an executable file/);
    await expect(override(script(path.join(dir, 'failing'), 'echo boom >&2; exit 3'))).rejects.toThrow(/version --short` failed/);
    await expect(override(fakeCompose(path.join(dir, 'v1'), 'docker-compose version 1.29.2, build unknown'))).rejects.toThrow(/is not a version/);
  });
});

describe('the machine-cache binary', () => {
  it(`is Docker Compose ${COMPOSE_VERSION} (built by ensureComposeBinary)`, async (ctx) => {
    const env = { ...process.env, HP_DOCKER_COMPOSE: '' };
    if (!composeBinaryPresent(env)) ctx.skip(`no docker-compose ${COMPOSE_VERSION} at ${composeBinaryPath(env)} (ensureComposeBinary builds it, about 2.5 minutes)`);
    const version = await composeVersion(composeBinaryPath(env));
    expect(version.text).toBe(COMPOSE_VERSION.replace(/^v/, ''));
  });
});
