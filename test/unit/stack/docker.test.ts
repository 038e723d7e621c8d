/** dockerd and the registry as stack services: up, health, env, reuse, shared image store, clean down. */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectDocker } from '../../../src/images/docker.ts';
import { mountsUnder } from '../../../src/host/mounts.ts';
import { groupAlive, processesWithArg } from '../../../src/host/process.ts';
import { buildCacheLimit, dockerPaths, dockerService, storageDriverFor } from '../../../src/stack/docker-service.ts';
import { readRegistryCredentials, ServiceStartError, StackError, type StackEvent, stackDown, stackEnv, stackStatus, stackUp } from '../../../src/stack/index.ts';
import { DOCKER_SKIP_REASON } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { stackTempDirs } from './temp-dirs.ts';

const tempDir = stackTempDirs();

describe('docker service preconditions', () => {
  it('refuses a state dir too deep for unix socket paths, saying how to fix it', async () => {
    const stateDir = path.join(tempDir('hp-stack-deep-'), 'a'.repeat(60), 'b'.repeat(40));
    mkdirSync(stateDir, { recursive: true });
    const error = await stackUp({ stateDir, services: ['docker'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceStartError);
    expect((error as Error).message).toMatch(/Cannot start the Docker daemon \(dockerd\): .*(socket path .* longer than the 104 characters dockerd's containerd starts with\. Use a shorter state dir|must run as root|not installed)/);
  });
});

describe('the build cache limit', () => {
  it('holds the three images a rebuild reuses under overlay2 and stays small under vfs', () => {
    expect(buildCacheLimit('overlay2', {})).toBe('16GB');
    expect(buildCacheLimit('vfs', {})).toBe('256MB');
  });

  it('HP_BUILD_CACHE_LIMIT overrides it for either driver', () => {
    expect(buildCacheLimit('overlay2', { HP_BUILD_CACHE_LIMIT: '24GB' })).toBe('24GB');
    expect(buildCacheLimit('vfs', { HP_BUILD_CACHE_LIMIT: ' 500mb ' })).toBe('500mb');
    expect(buildCacheLimit('overlay2', { HP_BUILD_CACHE_LIMIT: '1.5TB' })).toBe('1.5TB');
    expect(buildCacheLimit('overlay2', { HP_BUILD_CACHE_LIMIT: '' })).toBe('16GB');
  });

  it('refuses what is not a size, saying what one looks like', () => {
    for (const bad of ['16', 'lots', '-1GB', 'GB']) {
      expect(() => buildCacheLimit('overlay2', { HP_BUILD_CACHE_LIMIT: bad })).toThrow(StackError);
    }
    expect(() => buildCacheLimit('overlay2', { HP_BUILD_CACHE_LIMIT: 'lots' })).toThrow(/HP_BUILD_CACHE_LIMIT="lots" is not a size: .*e\.g\. 16GB or 500MB/);
  });

  it("goes into the daemon's config file, written at every start", () => {
    const stateDir = tempDir('hp-stack-cache-limit-');
    const env = { ...process.env, HP_DOCKER_DATA_ROOT: tempDir('hp-docker-data-'), HP_DOCKER_STORAGE_DRIVER: 'overlay2' };
    const context = { venv: '', stateDir, port: 0, allowedHosts: [], env };
    const keepStorage = () => JSON.parse(readFileSync(dockerPaths(stateDir).configFile, 'utf8')).builder.gc.defaultKeepStorage;
    dockerService.launch(context);
    expect(keepStorage()).toBe('16GB');
    dockerService.launch({ ...context, env: { ...env, HP_BUILD_CACHE_LIMIT: '20GB' } });
    expect(keepStorage()).toBe('20GB');
    expect(() => dockerService.launch({ ...context, env: { ...env, HP_BUILD_CACHE_LIMIT: 'big' } })).toThrow(/HP_BUILD_CACHE_LIMIT="big" is not a size/);
  });
});

describeWithService(DOCKER_SKIP_REASON, 'dockerd and registry services', () => {
  it('up → healthy → env → up again reuses → down stops everything and leaves nothing mounted', async () => {
    const stateDir = tempDir('hp-stack-docker-');
    const dataRoot = tempDir('hp-docker-data-');
    const env = { ...process.env, HP_DOCKER_DATA_ROOT: dataRoot };
    const info = await stackUp({ stateDir, services: ['docker', 'registry'], ports: { registry: 0 }, env });
    expect(info.dockerHost).toBe(`unix://${stateDir}/docker/docker.sock`);
    expect(info.registryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.registryUrl).not.toBe('http://127.0.0.1:5000');

    const status = await stackStatus({ stateDir });
    expect(status.services.docker).toMatchObject({ running: true, healthy: true });
    expect(status.services.registry).toMatchObject({ running: true, healthy: true });
    expect(status.services.mlflow.running).toBe(false);
    expect(processesWithArg(`--data-root=${dataRoot}`)).toEqual([status.services.docker.pid]);
    expect((await connectDocker(info.dockerHost).info()).Driver).toBe(storageDriverFor(dataRoot, env));

    // The registry: password generated into a 0600 file, basic auth enforced.
    const credentials = readRegistryCredentials(stateDir)!;
    expect(credentials.username).toBe('AWS');
    expect(statSync(path.join(stateDir, 'registry', 'credentials.json')).mode & 0o777).toBe(0o600);
    const v2 = `${info.registryUrl}/v2/`;
    expect((await fetch(v2)).status).toBe(401);
    expect((await fetch(v2, { headers: { authorization: `Basic ${Buffer.from('AWS:wrong').toString('base64')}` } })).status).toBe(401);
    expect((await fetch(v2, { headers: { authorization: `Basic ${Buffer.from(`AWS:${credentials.password}`).toString('base64')}` } })).status).toBe(200);

    expect(stackEnv(info)).toMatchObject({
      DOCKER_HOST: info.dockerHost,
      HP_LOCAL_REGISTRY: new URL(info.registryUrl!).host,
      HP_LOCAL_REGISTRY_USERNAME: 'AWS',
      HP_LOCAL_REGISTRY_PASSWORD: credentials.password,
    });

    const events: string[] = [];
    expect(await stackUp({ stateDir, services: ['docker', 'registry'], env, onEvent: (e) => events.push(`${e.type}:${e.service}`) })).toEqual(info);
    expect(events.sort()).toEqual(['reuse:docker', 'reuse:registry']);
    expect(readRegistryCredentials(stateDir)).toEqual(credentials); // the password survives restarts of `up`

    const pids = { docker: status.services.docker.pid!, registry: status.services.registry.pid! };
    expect((await stackDown({ stateDir })).sort()).toEqual(['docker', 'registry']);
    expect(groupAlive(pids.docker)).toBe(false);
    expect(groupAlive(pids.registry)).toBe(false);
    expect(processesWithArg(`--data-root=${dataRoot}`)).toEqual([]);
    expect(mountsUnder(stateDir)).toEqual([]); // dockerd's netns bind mount is released
  }, 180_000);

  it('a second daemon does not share a store in use: it gets a private one and says so', async () => {
    const dataRoot = tempDir('hp-docker-data-');
    const env = { ...process.env, HP_DOCKER_DATA_ROOT: dataRoot };
    const first = tempDir('hp-stack-docker-');
    const second = tempDir('hp-stack-docker-');
    await stackUp({ stateDir: first, services: ['docker'], env });
    const events: StackEvent[] = [];
    await stackUp({ stateDir: second, services: ['docker'], env, onEvent: (e) => events.push(e) });
    const note = events.find((e) => e.type === 'note');
    expect(note).toMatchObject({ service: 'docker', message: expect.stringContaining(`the shared image store ${dataRoot} is in use by another dockerd`) });
    expect(processesWithArg(`--data-root=${path.join(second, 'docker', 'data')}`)).toHaveLength(1);
    expect((await stackStatus({ stateDir: second })).services.docker.healthy).toBe(true);
  }, 180_000);
});
