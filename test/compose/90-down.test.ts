/** `down --volumes` leaves no container, volume or process of the platform (the lane's teardown then stops its dockerd). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect, inject, it } from 'vitest';
import { describeWithService } from '../harness/skip.ts';
import { composeSync } from './compose-cli.ts';
import './context.ts';

/** Live processes in the cgroup of one of these containers (their ids are in the cgroup path). */
function processesOf(containerIds: readonly string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (containerIds.some((id) => cgroup.includes(id))) found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describeWithService(inject('platformSkip'), 'compose Airflow: down --volumes', () => {
  const platform = inject('platform');
  const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: platform.dockerHost }, encoding: 'utf8' }).trim();

  it('removes every container and volume of the project and stops their processes', () => {
    const containers = docker('ps', '--all', '--quiet', '--no-trunc', '--filter', `label=com.docker.compose.project=${platform.project}`).split('\n').filter(Boolean);
    expect(containers.length).toBeGreaterThanOrEqual(8);
    expect(processesOf(containers).length).toBeGreaterThan(0);
    const down = composeSync(platform, ['down', '--volumes', '--remove-orphans'], 300_000);
    expect(down.status, down.stderr).toBe(0);
    expect(docker('ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${platform.project}`)).toBe('');
    expect(docker('volume', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${platform.project}`)).toBe('');
    expect(processesOf(containers)).toEqual([]);
  });
});
