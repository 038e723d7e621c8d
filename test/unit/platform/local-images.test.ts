/**
 * The local stand-ins for postgres:16-bookworm and registry:2 (airflow/local/), built from
 * Debian's packages on the local base image and run on a real dockerd, keep the contract the
 * compose platform relies on: Postgres initialises an empty volume once (user, database,
 * /docker-entrypoint-initdb.d), answers pg_isready as a healthcheck, takes password logins over
 * TCP and refuses wrong ones, keeps its data over a restart and stops at once; the registry
 * takes the REGISTRY_* overrides (htpasswd auth, debug address), refuses /v2/ without
 * credentials, and a login, push and pull work.
 *
 * The images keep the tags the compose override uses, so a second run reuses the build cache.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { followJsonStream } from '../../../src/images/json-stream.ts';
import { demuxLogs } from '../../../src/images/run.ts';
import { freePort } from '../../../src/host/ports.ts';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';

const POSTGRES_IMAGE = 'health-predict/postgres:16-local';
const REGISTRY_IMAGE = 'health-predict/registry:2-local';
const LABEL = { 'health-predict.role': 'local-images-test' };
const SECONDS = 1_000_000_000; // Docker's healthcheck durations are in nanoseconds

const lines: string[] = [];
const log = { info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(`warn: ${msg}`) };

describeWithService(DOCKER_SKIP_REASON, 'local Postgres and registry images from Debian packages', () => {
  const services = useServices(['docker']);
  const work = mkdtempSync(path.join(os.tmpdir(), 'hp-local-images-'));
  const suffix = randomBytes(4).toString('hex');
  const containers: Docker.Container[] = [];
  const volumes: string[] = [];
  let docker: Docker;
  let client: Docker.Container | undefined;

  /** Builds airflow/local/<dir> on the local base image with the classic builder, as Compose does here without buildx; RUN steps use the host network (dockerd has no bridge). */
  async function buildLocalImage(dir: string, tag: string, baseImage: string): Promise<void> {
    const context = path.join(REPO_ROOT, 'airflow/local', dir);
    const started = performance.now();
    const stream = await docker.buildImage(
      { context, src: readdirSync(context) },
      { t: tag, buildargs: { BASE_IMAGE: baseImage }, networkmode: 'host', version: '1' },
    );
    const result = await followJsonStream(stream);
    expect(result.error, `building ${tag}`).toBeUndefined();
    const size = (await docker.getImage(tag).inspect()).Size;
    console.info(`${tag}: built in ${Math.round(performance.now() - started)} ms, ${(size / 1e6).toFixed(0)} MB`);
  }

  async function newVolume(): Promise<string> {
    const name = `hp-local-images-${suffix}-${volumes.length}`;
    await docker.createVolume({ Name: name, Labels: LABEL });
    volumes.push(name);
    return name;
  }

  /** Creates and starts a host-network container, removed after the file. */
  async function start(options: Omit<Docker.ContainerCreateOptions, 'Labels'>): Promise<Docker.Container> {
    const container = await docker.createContainer({
      ...options,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'host', ...options.HostConfig },
    });
    containers.push(container);
    await container.start();
    return container;
  }

  async function logsOf(container: Docker.Container): Promise<string> {
    return demuxLogs((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
  }

  /** Waits for the container's own healthcheck, as compose's `condition: service_healthy` does. */
  async function waitHealthy(container: Docker.Container, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = (await container.inspect()).State;
      if (state.Health?.Status === 'healthy') return;
      if (!state.Running) throw new Error(`container exited (${state.ExitCode}) before it was healthy:\n${await logsOf(container)}`);
      if (Date.now() > deadline) throw new Error(`not healthy within ${timeoutMs} ms (${state.Health?.Status}):\n${await logsOf(container)}`);
      await sleep(250);
    }
  }

  /** Runs a command to its end in a new container of `image`; its exit code and output. */
  async function run(image: string, cmd: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
    const container = await start({ Image: image, Cmd: cmd, Env: Object.entries(env).map(([k, v]) => `${k}=${v}`) });
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { code: StatusCode, output: await logsOf(container) };
  }

  /** Runs a command in a running container (`docker exec`); its exit code and output. */
  async function execIn(container: Docker.Container, cmd: string[]): Promise<{ code: number; output: string }> {
    const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve, reject) => stream.once('end', resolve).once('error', reject));
    return { code: (await exec.inspect()).ExitCode ?? -1, output: demuxLogs(Buffer.concat(chunks)) };
  }

  /** psql in the one client container (each container is a whole copy of the image under vfs). */
  async function psql(connection: string, sql: string): Promise<{ code: number; output: string }> {
    client ??= await start({ Image: POSTGRES_IMAGE, Entrypoint: ['sleep', 'infinity'] });
    return execIn(client, ['psql', connection, '-tA', '-c', sql]);
  }

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    const base = await ensureBaseImage({ docker, log });
    await buildLocalImage('postgres', POSTGRES_IMAGE, base.tag);
    await buildLocalImage('registry', REGISTRY_IMAGE, base.tag);
  }, 900_000);

  afterAll(async () => {
    for (const container of containers) await container.remove({ force: true, v: true }).catch(() => {});
    for (const name of volumes) await docker?.getVolume(name).remove().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }, 180_000);

  it('Postgres: initialises an empty volume once, takes password logins over TCP, keeps its data over a restart', async () => {
    const initDir = path.join(work, 'initdb');
    mkdirSync(initDir);
    // Init files run in name order, .sql with psql against POSTGRES_DB, .sh as given.
    writeFileSync(path.join(initDir, '10-second-db.sql'), 'CREATE DATABASE mlflow_db;\n');
    writeFileSync(
      path.join(initDir, '20-marker.sh'),
      '#!/bin/bash\nset -e\npsql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE TABLE init_runs (at timestamptz DEFAULT now()); INSERT INTO init_runs DEFAULT VALUES;"\n',
      { mode: 0o755 },
    );
    const port = await freePort();
    const password = 'pass word';
    const server = await start({
      Image: POSTGRES_IMAGE,
      Cmd: ['postgres', '-c', `port=${port}`],
      Env: ['POSTGRES_USER=airflow', `POSTGRES_PASSWORD=${password}`, 'POSTGRES_DB=airflow'],
      Healthcheck: { Test: ['CMD', 'pg_isready', '-U', 'airflow', '-p', String(port)], Interval: 1 * SECONDS, Timeout: 5 * SECONDS, Retries: 60 },
      HostConfig: { Binds: [`${await newVolume()}:/var/lib/postgresql/data`, `${initDir}:/docker-entrypoint-initdb.d:ro`] },
    });
    await waitHealthy(server);

    const url = (user: string, secret: string, db: string) => `postgresql://${user}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${db}`;

    const second = await psql(url('airflow', password, 'mlflow_db'), 'SELECT current_user, current_database()');
    expect(second, 'the init .sql made a second database').toEqual({ code: 0, output: 'airflow|mlflow_db\n' });
    expect((await psql(url('airflow', password, 'airflow'), 'SELECT count(*) FROM init_runs')).output).toBe('1\n');
    const refused = await psql(url('airflow', 'wrong', 'airflow'), 'SELECT 1');
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/password authentication failed for user "airflow"/);
    const unknown = await psql(url('postgres', password, 'airflow'), 'SELECT 1');
    expect(unknown.code, 'only POSTGRES_USER exists').not.toBe(0);

    expect((await psql(url('airflow', password, 'airflow'), 'INSERT INTO init_runs DEFAULT VALUES')).code).toBe(0);
    const stopping = performance.now();
    await server.stop({ t: 10 });
    const stopMs = performance.now() - stopping;
    expect(stopMs, 'postgres is PID 1 and stops at once on STOPSIGNAL').toBeLessThan(5_000);
    expect((await server.inspect()).State.ExitCode).toBe(0);

    await server.start();
    await waitHealthy(server);
    expect((await psql(url('airflow', password, 'airflow'), 'SELECT count(*) FROM init_runs')).output, 'both rows kept; the init files did not run again').toBe('2\n');
    expect((await logsOf(server)).match(/PostgreSQL init process complete/g)).toHaveLength(1);
  }, 180_000);

  it('Postgres: refuses to initialise without a password, unless POSTGRES_HOST_AUTH_METHOD=trust', async () => {
    const refused = await run(POSTGRES_IMAGE, ['postgres'], { POSTGRES_USER: 'airflow' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/no superuser password is set/);

    const port = await freePort();
    const trusting = await start({
      Image: POSTGRES_IMAGE,
      Cmd: ['-c', `port=${port}`], // a first argument starting with - runs postgres, as in the official image
      Env: ['POSTGRES_HOST_AUTH_METHOD=trust'],
      Healthcheck: { Test: ['CMD', 'pg_isready', '-p', String(port)], Interval: 1 * SECONDS, Timeout: 5 * SECONDS, Retries: 60 },
    });
    await waitHealthy(trusting);
    const login = await psql(`postgresql://postgres@127.0.0.1:${port}/postgres`, 'SELECT current_user');
    expect(login).toEqual({ code: 0, output: 'postgres\n' });
  }, 120_000);

  it('registry: htpasswd auth and a debug address from REGISTRY_* variables; login, push and pull', async () => {
    const authDir = path.join(work, 'auth');
    mkdirSync(authDir);
    const credentials = { username: 'pusher', password: `pw-${suffix}` };
    const hashed = spawnSync('htpasswd', ['-niB', credentials.username], { input: credentials.password, encoding: 'utf8' });
    expect(hashed.status, hashed.stderr).toBe(0);
    writeFileSync(path.join(authDir, 'htpasswd'), hashed.stdout, { mode: 0o644 });
    const [port, debugPort] = [await freePort(), await freePort()];
    const address = `127.0.0.1:${port}`;
    const registry = await start({
      Image: REGISTRY_IMAGE,
      Env: [
        `REGISTRY_HTTP_ADDR=${address}`,
        `REGISTRY_HTTP_DEBUG_ADDR=127.0.0.1:${debugPort}`,
        'REGISTRY_AUTH=htpasswd',
        'REGISTRY_AUTH_HTPASSWD_REALM=Registry Realm',
        'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd',
      ],
      Healthcheck: { Test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${debugPort}/debug/health`], Interval: 1 * SECONDS, Timeout: 5 * SECONDS, Retries: 60 },
      HostConfig: { Binds: [`${await newVolume()}:/var/lib/registry`, `${authDir}:/auth:ro`] },
    });
    await waitHealthy(registry);
    expect((await registry.inspect()).Config.User, 'runs without root').toBe('docker-registry');

    const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    expect((await fetch(`http://${address}/v2/`)).status).toBe(401);
    expect((await fetch(`http://${address}/v2/`, { headers: { authorization: basic } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${debugPort}/debug/health`)).status).toBe(200);

    await expect(docker.checkAuth({ ...credentials, password: 'wrong', serveraddress: address })).rejects.toThrow(/unauthorized|401/i);
    const authconfig = { ...credentials, serveraddress: address };
    expect(await docker.checkAuth(authconfig)).toMatchObject({ Status: 'Login Succeeded' });

    // A small image of our own: one file on an empty filesystem.
    const contextDir = path.join(work, 'pushed');
    mkdirSync(contextDir);
    writeFileSync(path.join(contextDir, 'Dockerfile'), 'FROM scratch\nCOPY marker /marker\n');
    writeFileSync(path.join(contextDir, 'marker'), `${suffix}\n`);
    const reference = `${address}/local-images-test/marker:${suffix}`;
    const built = await followJsonStream(await docker.buildImage({ context: contextDir, src: ['Dockerfile', 'marker'] }, { t: reference, version: '2' }));
    expect(built.error).toBeUndefined();
    const imageId = (await docker.getImage(reference).inspect()).Id;

    const pushed = await followJsonStream(await docker.getImage(reference).push({ authconfig }));
    expect(pushed.error).toBeUndefined();
    await docker.getImage(reference).remove();
    const pulled = await followJsonStream(await docker.pull(reference, { authconfig }));
    expect(pulled.error).toBeUndefined();
    expect((await docker.getImage(reference).inspect()).Id).toBe(imageId);
    await docker.getImage(reference).remove();

    const tags = await fetch(`http://${address}/v2/local-images-test/marker/tags/list`, { headers: { authorization: basic } });
    expect(await tags.json()).toEqual({ name: 'local-images-test/marker', tags: [suffix] });
  }, 180_000);
});
