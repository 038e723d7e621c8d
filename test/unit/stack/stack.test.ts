/** stackUp / stackStatus / stackDown with the real services, each test in its own temp state dir. */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ServiceStartError, readState, stackDown, stackEnv, stackStatus, stackUp } from '../../../src/stack/index.ts';
import { groupAlive } from '../../../src/host/process.ts';
import { stackTempDirs } from './temp-dirs.ts';

const tempDir = stackTempDirs();

/** A fake Python env whose `bin/<name>` is the given shell script. */
/**
 * A free port below Linux's ephemeral range (32768+): outgoing connections of other processes
 * cannot grab it between a service's death and its restart, as they can an ephemeral one.
 */
async function freeStablePort(): Promise<number> {
  for (let port = 20_000 + Math.floor(Math.random() * 10_000); ; port = port >= 32_000 ? 20_000 : port + 1) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function fakeVenv(name: string, script: string): string {
  const venv = tempDir('hp-fake-venv-');
  mkdirSync(path.join(venv, 'bin'));
  const file = path.join(venv, 'bin', name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return venv;
}

describe('stack lifecycle', () => {
  it('up → healthy → up again reuses the same processes → down → nothing runs', async () => {
    const stateDir = tempDir('hp-stack-');
    const info = await stackUp({ stateDir, ports: { mlflow: 0, moto: 0 } });
    expect(info.stateDir).toBe(stateDir);
    expect(info.mlflowUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const status = await stackStatus({ stateDir });
    expect(status.services.mlflow).toMatchObject({ running: true, healthy: true, url: info.mlflowUri, log: path.join(stateDir, 'logs', 'mlflow.log') });
    expect(status.services.moto).toMatchObject({ running: true, healthy: true, url: info.s3Endpoint, log: path.join(stateDir, 'logs', 'moto.log') });
    const pids = { mlflow: status.services.mlflow.pid!, moto: status.services.moto.pid! };

    // MLflow's Host check accepts the URL we record; moto answers S3 ListBuckets.
    expect((await fetch(`${info.mlflowUri}/api/2.0/mlflow/experiments/search?max_results=1`)).status).toBe(200);
    expect(await (await fetch(`${info.s3Endpoint}/`)).text()).toContain('ListAllMyBucketsResult');

    const events: string[] = [];
    const again = await stackUp({ stateDir, onEvent: (e) => events.push(`${e.type}:${e.service}`) });
    expect(again).toEqual(info);
    expect(events.sort()).toEqual(['reuse:mlflow', 'reuse:moto']);
    const statusAgain = await stackStatus({ stateDir });
    expect({ mlflow: statusAgain.services.mlflow.pid, moto: statusAgain.services.moto.pid }).toEqual(pids);

    expect(stackEnv(info)).toMatchObject({
      MLFLOW_TRACKING_URI: info.mlflowUri,
      AWS_ENDPOINT_URL_S3: info.s3Endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    });

    expect((await stackDown({ stateDir })).sort()).toEqual(['mlflow', 'moto']);
    const after = await stackStatus({ stateDir });
    expect(after.services.mlflow).toMatchObject({ running: false, healthy: false });
    expect(after.services.moto).toMatchObject({ running: false, healthy: false });
    expect(groupAlive(pids.mlflow)).toBe(false); // the uvicorn worker went with it
    expect(groupAlive(pids.moto)).toBe(false);
    expect(readState(stateDir).services).toEqual({});
    expect(await stackDown({ stateDir })).toEqual([]);
  }, 240_000);

  it('starts only the missing service and restarts one whose process died', async () => {
    const stateDir = tempDir('hp-stack-');
    await stackUp({ stateDir, services: ['moto'], ports: { moto: await freeStablePort() } });
    const first = (await stackStatus({ stateDir })).services.moto;
    expect((await stackStatus({ stateDir })).services.mlflow.running).toBe(false);
    process.kill(-first.pid!, 'SIGKILL');
    while (groupAlive(first.pid!)) await sleep(50);
    expect((await stackStatus({ stateDir })).services.moto).toMatchObject({ running: false, healthy: false, pid: first.pid });

    await stackUp({ stateDir, services: ['moto'] });
    const second = (await stackStatus({ stateDir })).services.moto;
    expect(second).toMatchObject({ running: true, healthy: true });
    expect(second.pid).not.toBe(first.pid);
    // The recorded port is preferred but not guaranteed: on a loaded machine it can still be
    // held when the restart probes it, and the stack then falls back to a free port (CI saw
    // this). The record always names the port actually in use.
    expect(readState(stateDir).services.moto?.url).toBe(second.url);
  }, 60_000);
});

describe('ports', () => {
  it('falls back to a free port when the preferred one is taken, and records the real URL', async () => {
    const stateDir = tempDir('hp-stack-');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const info = await stackUp({ stateDir, services: ['moto'], ports: { moto: taken } });
      const port = Number(new URL(info.s3Endpoint!).port);
      expect(port).not.toBe(taken);
      const recorded = JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8'));
      expect(recorded.services.moto).toMatchObject({ port, url: info.s3Endpoint });
      expect((await fetch(`${info.s3Endpoint}/moto-api/`)).status).toBe(200);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

describe('failures', () => {
  it('names the log (and shows its tail) when a service exits immediately', async () => {
    const stateDir = tempDir('hp-stack-');
    const venv = fakeVenv('moto_server', 'echo "boom: cannot bind the socket" >&2\nexit 3');
    const error = await stackUp({ stateDir, services: ['moto'], venv, ports: { moto: 0 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceStartError);
    const log = path.join(stateDir, 'logs', 'moto.log');
    expect(error).toMatchObject({ service: 'moto', log });
    expect((error as Error).message).toContain('exited with code 3');
    expect((error as Error).message).toContain(`See its log ${log}`);
    expect((error as Error).message).toContain('boom: cannot bind the socket');
    expect(readState(stateDir).services).toEqual({});
  });

  it('gives up on a service that never becomes healthy, and stops it', async () => {
    const stateDir = tempDir('hp-stack-');
    const venv = fakeVenv('moto_server', 'echo "starting forever"\nexec sleep 60');
    const error = await stackUp({ stateDir, services: ['moto'], venv, ports: { moto: 0 }, timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceStartError);
    expect((error as Error).message).toMatch(/did not become healthy on http:\/\/127\.0\.0\.1:\d+\/moto-api\/ within 2 s\. See its log/);
    const text = readFileSync(path.join(stateDir, 'logs', 'moto.log'), 'utf8');
    expect(text).toContain('starting forever');
    expect(readState(stateDir).services).toEqual({});
  });

  it('says how to fix a missing Python environment', async () => {
    const stateDir = tempDir('hp-stack-');
    await expect(stackUp({ stateDir, services: ['moto'], venv: path.join(stateDir, 'no-venv') })).rejects.toThrow(/does not exist\. Run `make setup`/);
  });

  it('stops what the same call started when another service fails', async () => {
    const stateDir = tempDir('hp-stack-');
    const venv = fakeVenv('mlflow', 'exit 1');
    // moto from the real venv via a symlink-free wrapper script
    writeFileSync(path.join(venv, 'bin', 'moto_server'), `#!/bin/sh\nexec ${path.resolve('.venv/ml/bin/moto_server')} "$@"\n`);
    chmodSync(path.join(venv, 'bin', 'moto_server'), 0o755);
    await expect(stackUp({ stateDir, venv, ports: { mlflow: 0, moto: 0 } })).rejects.toThrow(/MLflow tracking server exited with code 1/);
    expect(readState(stateDir).services).toEqual({});
    expect((await stackStatus({ stateDir })).services.moto.running).toBe(false);
  }, 60_000);

  it('refuses unknown service names', async () => {
    await expect(stackUp({ stateDir: tempDir('hp-stack-'), services: ['redis' as never] })).rejects.toThrow(/Unknown service 'redis'/);
  });
});
