import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNTIME = pathToFileURL(path.join(ROOT, 'src/runtime/index.ts')).href;
const dir = mkdtempSync(path.join(tmpdir(), 'hp-runtime-'));
// Lets the script import 'zod'; Node resolves the link, so it gets the runtime's own zod instance.
symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCRIPT = `
import { z } from 'zod';
import { defineTask, main, BadDataError } from '${RUNTIME}';
const def = defineTask({
  id: 'child-task',
  input: z.object({ mode: z.enum(['ok', 'skip', 'bad']), text: z.string() }),
  output: z.object({ text: z.string() }),
  run: async (input, ctx) => {
    console.log('user output before the result');
    ctx.log.info('working');
    if (input.mode === 'skip') ctx.skip('nothing to do');
    if (input.mode === 'bad') throw new BadDataError('The rows are corrupt.');
    return { text: input.text };
  },
});
await main(def);
`;
const script = path.join(dir, 'child-task.mts');
writeFileSync(script, SCRIPT);

function runChild(input: object, extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HP_TASK_ID: 'child', HP_TRY_NUMBER: '3', HP_INPUT: JSON.stringify(input), ...extraEnv },
  });
  const stdoutLines = result.stdout.split('\n').filter(Boolean);
  const logs = result.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code: result.status, stdoutLines, logs };
}

describe('a task script in a child process', () => {
  it('exits 0 with the JSON output as the last stdout line and JSON logs on stderr', () => {
    const text = 'quote " newline \n $(rm -rf /) {{ ti }} é 😀';
    const { code, stdoutLines, logs } = runChild({ mode: 'ok', text });
    expect(code).toBe(0);
    expect(stdoutLines[0]).toBe('user output before the result');
    expect(JSON.parse(stdoutLines.at(-1)!)).toEqual({ text });
    expect(logs.map((l) => l.msg)).toEqual(['task started', 'input resolved', 'working', 'task finished']);
    expect(logs.at(-1)).toMatchObject({ task_id: 'child', try_number: 3, script: 'child-task', outcome: 'success' });
  }, 30_000);

  it('writes HP_XCOM_FILE, creating its directory', () => {
    const file = path.join(dir, 'xcom', 'return.json');
    const { code } = runChild({ mode: 'ok', text: 'x' }, { HP_XCOM_FILE: file });
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ text: 'x' });
  }, 30_000);

  it('exits 99 without an output line when the task skips itself', () => {
    const { code, stdoutLines, logs } = runChild({ mode: 'skip', text: '' });
    expect(code).toBe(99);
    expect(stdoutLines).toEqual(['user output before the result']);
    expect(logs.at(-1)).toMatchObject({ outcome: 'skipped' });
  }, 30_000);

  it('exits 97 on bad data and on input that breaks the schema', () => {
    const bad = runChild({ mode: 'bad', text: '' });
    expect(bad.code).toBe(97);
    expect(bad.logs.find((l) => l.level === 'error')).toMatchObject({ error_name: 'BadDataError' });
    const invalid = runChild({ mode: 'weird' });
    expect(invalid.code).toBe(97);
    expect(invalid.stdoutLines).toEqual([]);
    expect(invalid.logs.find((l) => l.level === 'error')).toMatchObject({ error_name: 'InputContractError' });
  }, 30_000);
});
