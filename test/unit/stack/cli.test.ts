/** `stack up|status|env|down` through yargs, in-process. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { formatStatus, stackCommands } from '../../../src/stack/cli.ts';
import { stackDown } from '../../../src/stack/index.ts';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'hp-stack-cli-'));
afterAll(async () => {
  await stackDown({ stateDir });
  rmSync(stateDir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(`${a.join(' ')}\n`));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(`${a.join(' ')}\n`));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await stackCommands(yargs(args).strict().demandCommand(1).exitProcess(false)).parseAsync();
    return { stdout: out.join(''), stderr: err.join(''), exitCode: process.exitCode as number | undefined };
  } finally {
    process.exitCode = before;
    write.mockRestore();
    log.mockRestore();
    error.mockRestore();
  }
}

describe('stack CLI', () => {
  it('up --json prints the URLs; status/env/down report and stop', async () => {
    const up = await run('stack', 'up', '--state-dir', stateDir, '--services', 'moto', '--moto-port', '0', '--json');
    const info = JSON.parse(up.stdout);
    expect(info).toMatchObject({ stateDir, s3Endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(up.stderr).toMatch(/starting moto \(pid \d+\)/);

    const table = (await run('stack', 'status', '--state-dir', stateDir)).stdout;
    expect(table).toMatch(/^service\s+running\s+healthy\s+pid\s+url\s+log$/m);
    expect(table).toMatch(new RegExp(`^moto\\s+yes\\s+yes\\s+\\d+\\s+${info.s3Endpoint}`, 'm'));
    expect(table).toMatch(/^mlflow\s+no\s+no\s+-\s+-/m);

    const env = JSON.parse((await run('stack', 'env', '--state-dir', stateDir, '--json')).stdout);
    expect(env).toMatchObject({ AWS_ENDPOINT_URL_S3: info.s3Endpoint, AWS_ACCESS_KEY_ID: 'testing' });
    expect(env.MLFLOW_TRACKING_URI).toBeUndefined();
    expect((await run('stack', 'env', '--state-dir', stateDir)).stdout).toContain(`export AWS_ENDPOINT_URL_S3='${info.s3Endpoint}'`);

    expect(JSON.parse((await run('stack', 'down', '--state-dir', stateDir, '--json')).stdout)).toEqual({ stopped: ['moto'] });
    const status = JSON.parse((await run('stack', 'status', '--state-dir', stateDir, '--json')).stdout);
    expect(status.services.moto).toMatchObject({ running: false, healthy: false });
  }, 60_000);

  it('prints stack errors without a stack trace and exits 1', async () => {
    const result = await run('stack', 'up', '--state-dir', stateDir, '--services', 'redis');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Unknown service\(s\) redis; choose from mlflow, moto/);
  });

  it('formats a status table', () => {
    const text = formatStatus({
      stateDir: '/s',
      services: {
        mlflow: { running: true, healthy: false, pid: 12, url: 'http://127.0.0.1:5000', log: '/s/logs/mlflow.log' },
        moto: { running: false, healthy: false, log: '/s/logs/moto.log' },
      },
    });
    expect(text.split('\n')).toEqual([
      'service  running  healthy  pid  url                    log',
      'mlflow   yes      no       12   http://127.0.0.1:5000  /s/logs/mlflow.log',
      'moto     no       no       -    -                      /s/logs/moto.log',
    ]);
  });
});
