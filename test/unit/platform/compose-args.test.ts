/**
 * How Docker Compose is invoked: the project name and directory, the compose files in order (main,
 * the local override only for a dockerd without bridge networks, extra files last; all absolute),
 * and the env files (.env first, then the local settings only with the override).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPOSE_FILE, type ComposeTarget, LOCAL_ENV_FILE, LOCAL_OVERRIDE_FILE, composeArgs } from '../../../src/platform/compose.ts';

const DIR = '/srv/checkout';
const target = (overrides: Partial<ComposeTarget> = {}): ComposeTarget => ({
  binary: '/usr/local/bin/docker-compose',
  dir: DIR,
  project: 'hp-test',
  envFile: '/srv/checkout/.env',
  local: false,
  env: {},
  ...overrides,
});

/** The values that follow each occurrence of `flag`, in order. */
const valuesOf = (args: readonly string[], flag: string) => args.flatMap((arg, i) => (arg === flag ? [args[i + 1] as string] : []));

describe('composeArgs', () => {
  it('names the project and its directory first and ends with the command', () => {
    const args = composeArgs(target(), ['up', '--detach']);
    expect(args.slice(0, 4)).toEqual(['--project-name', 'hp-test', '--project-directory', DIR]);
    expect(args.slice(-2)).toEqual(['up', '--detach']);
  });

  it('without the local override: the main file and .env only', () => {
    const args = composeArgs(target(), ['ps']);
    expect(valuesOf(args, '--file')).toEqual([path.join(DIR, COMPOSE_FILE)]);
    expect(valuesOf(args, '--env-file')).toEqual(['/srv/checkout/.env']);
    expect(args.join(' ')).not.toContain(LOCAL_OVERRIDE_FILE);
    expect(args.join(' ')).not.toContain(LOCAL_ENV_FILE);
  });

  it('local: the override after the main file, its env file after .env', () => {
    const args = composeArgs(target({ local: true }), ['ps']);
    expect(valuesOf(args, '--file')).toEqual([path.join(DIR, COMPOSE_FILE), path.join(DIR, LOCAL_OVERRIDE_FILE)]);
    expect(valuesOf(args, '--env-file')).toEqual(['/srv/checkout/.env', path.join(DIR, LOCAL_ENV_FILE)]);
  });

  it('extra files come last, made absolute against the directory (absolute ones kept)', () => {
    const args = composeArgs(target({ local: true, extraFiles: ['test/compose/compose.test.yml', '/elsewhere/more.yml'] }), ['config']);
    expect(valuesOf(args, '--file')).toEqual([
      path.join(DIR, COMPOSE_FILE),
      path.join(DIR, LOCAL_OVERRIDE_FILE),
      path.join(DIR, 'test/compose/compose.test.yml'),
      '/elsewhere/more.yml',
    ]);
    expect(valuesOf(composeArgs(target({ extraFiles: ['x.yml'] }), []), '--file')).toEqual([path.join(DIR, COMPOSE_FILE), path.join(DIR, 'x.yml')]);
  });

  it('every compose file is absolute, and every option comes before the command', () => {
    const args = composeArgs(target({ local: true, extraFiles: ['a.yml'] }), ['logs', '--tail', '5']);
    for (const file of valuesOf(args, '--file')) expect(path.isAbsolute(file), file).toBe(true);
    expect(args.indexOf('logs')).toBeGreaterThan(args.lastIndexOf('--env-file'));
    expect(args.indexOf('logs')).toBe(args.length - 3);
  });
});
