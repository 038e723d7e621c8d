/** `task run`: a task script outside Airflow, bundled and run as Airflow would run it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliUsageError, resolveBuildOptions, resolveTaskRunOptions, withDockerSocketGroup } from '../../../src/cli/options.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/health-predict.mjs'), ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });

describe('task run', () => {
  it('runs a task with the given input; the last stdout line is its output', () => {
    const result = cli('task', 'run', 'health_predict_example', 'prepare_batch', '--input', JSON.stringify({ message: 'héllo "x"\n$(y)', rows: 3 }));
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual({ message: 'héllo "x"\n$(y)', rows: 3, characters: 14 });
    expect(result.stderr).toContain('"msg":"task finished"');
  });

  it('exits 97 for bad data, 99 for a skip, 1 for a retryable failure', () => {
    expect(cli('task', 'run', 'health_predict_example', 'prepare_batch', '--input', '{"message":"m","rows":-1}').status).toBe(97);
    expect(cli('task', 'run', 'health_predict_example', 'optional_export', '--input', '{"enabled":false}').status).toBe(99);
    expect(cli('task', 'run', 'health_predict_example', 'report.flaky_step', '--input', '{"message":"m"}').status).toBe(1);
    expect(cli('task', 'run', 'health_predict_example', 'report.flaky_step', '--input', '{"message":"m"}', '--try-number', '2').status).toBe(0);
  });

  it('says which tasks exist when the id is wrong', () => {
    const result = cli('task', 'run', 'health_predict_example', 'nope');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("DAG 'health_predict_example' has no task 'nope'. Node tasks: prepare_batch, choose_route");
  });
});

describe('option resolution (pure)', () => {
  it('resolves build options with defaults', () => {
    expect(resolveBuildOptions({ _: ['dag', 'build'] }, '/repo')).toEqual({ check: false, profile: 'local', outDir: '/repo/generated/dags', verbose: false });
    expect(resolveBuildOptions({ check: true, profile: 'cluster', out: 'x', tasksDir: '/opt/t', verbose: true, sources: ['/d/a.dag.ts'] }, '/repo')).toEqual({
      check: true,
      profile: 'cluster',
      outDir: '/repo/x',
      tasksDir: '/opt/t',
      verbose: true,
      sources: ['/d/a.dag.ts'],
    });
    expect(() => resolveBuildOptions({ tasksDir: 'relative' }, '/repo')).toThrow(CliUsageError);
    expect(() => resolveBuildOptions({ sources: ['notes.md'] }, '/repo')).toThrow(/--sources.0: DAG source files/);
  });

  it("reads --docker-socket's group from the socket on this machine; a path that is not a socket is refused", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-socket-'));
    const server = net.createServer();
    try {
      const socket = path.join(dir, 'docker.sock');
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      const options = withDockerSocketGroup(resolveBuildOptions({ profile: 'cluster', dockerSocket: socket }, '/repo'));
      expect(options.pod).toEqual({ dockerSocket: { path: socket, group: statSync(socket).gid } });
      writeFileSync(path.join(dir, 'file'), '');
      expect(() => withDockerSocketGroup(resolveBuildOptions({ dockerSocket: path.join(dir, 'file') }, '/repo'))).toThrow(/is not a socket/);
      expect(() => withDockerSocketGroup(resolveBuildOptions({ dockerSocket: path.join(dir, 'none') }, '/repo'))).toThrow(/ENOENT/);
      expect(() => resolveBuildOptions({ dockerSocket: 'relative.sock' }, '/repo')).toThrow(CliUsageError);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses --input JSON and reports bad JSON', () => {
    expect(resolveTaskRunOptions({ dagId: 'd', taskId: 't', input: '{"a":1}' }, '/')).toEqual({ dagId: 'd', taskId: 't', input: { a: 1 }, tryNumber: 1 });
    expect(() => resolveTaskRunOptions({ dagId: 'd', taskId: 't', input: '{' }, '/')).toThrow(/--input must be JSON/);
  });
});
