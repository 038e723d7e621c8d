/**
 * The misuse corpus: test/dsl-misuse/<case>.dag.ts holds one mistake per file (or several, to
 * show they are reported together) and, in leading `// expect: <file>:<line>: <message>`
 * comments, every line `dag build` must print for it — no more, no less. A file that only serves
 * other cases (the DAG the trigger cases start) says `// expect nothing: <why>` instead. The real
 * CLI compiles the whole corpus in one run; each case then checks its own lines.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, PROJECT_ROOT } from '../../../src/cli/project.ts';

const CORPUS = 'test/dsl-misuse';
const cases = listFiles(PROJECT_ROOT, [CORPUS], '.dag.ts').map((file) => ({
  name: path.basename(file, '.dag.ts'),
  file: path.relative(PROJECT_ROOT, file),
  expected: readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => (line.startsWith('// expect: ') ? [line.slice('// expect: '.length)] : [])),
  expectsNothing: readFileSync(file, 'utf8').startsWith('// expect nothing: '),
}));

const build = (...extra: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/health-predict.mjs'), 'dag', 'build', ...cases.map((c) => c.file), '--out', mkdtempSync(path.join(os.tmpdir(), 'hp-misuse-')), ...extra], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });

const run = build();
const printed = run.stderr.split('\n').map((line) => line.trim());

it('the corpus has cases, each with expectations, and the build fails', () => {
  expect(cases.length).toBeGreaterThan(15);
  for (const { name, expected, expectsNothing } of cases) expect(expected.length > 0 !== expectsNothing, name).toBe(true);
  expect(run.status, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
});

describe.each(cases)('$name', ({ file, expected }) => {
  it('prints exactly the expected diagnostics, each at the line of the mistake', () => {
    const mine = printed.filter((line) => line.startsWith(`${file}:`));
    expect(mine).toEqual(expected);
  });
});

it('prints no stack trace, raw zod or esbuild text, or absolute path without --verbose', () => {
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Transform failed|ZodError|Invalid input|"code":|ERR_MODULE_NOT_FOUND/);
  expect(run.stderr).not.toContain(PROJECT_ROOT);
  for (const line of printed.filter(Boolean)) expect(line, line).toMatch(/^(DAG '[^']+' has \d+ problems?:|test\/dsl-misuse\/[\w-]+\.dag\.ts:\d+: .+)$/);
});

it('--verbose adds the stack trace behind a file that failed to load', () => {
  const verbose = spawnSync(
    process.execPath,
    [path.join(PROJECT_ROOT, 'bin/health-predict.mjs'), 'dag', 'build', `${CORPUS}/used-before-declaration.dag.ts`, '--verbose', '--out', mkdtempSync(path.join(os.tmpdir(), 'hp-misuse-'))],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );
  expect(verbose.status).toBe(2);
  expect(verbose.stderr).toContain(`${CORPUS}/used-before-declaration.dag.ts:6: 'first' is used before its declaration.`);
  expect(verbose.stderr).toMatch(/ReferenceError: Cannot access 'first' before initialization\n\s+at /);
});
