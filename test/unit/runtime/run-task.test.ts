import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BadDataError,
  CredentialsRefusedError,
  defineTask,
  EXIT_NON_RETRYABLE,
  EXIT_OK,
  EXIT_RETRYABLE,
  EXIT_SKIP,
  runTask,
  SkipTask,
} from '../../../src/runtime/index.ts';
import { runInMemory, trainTask } from './helpers.ts';

const airflowEnv = {
  HP_DAG_ID: 'health_predict',
  HP_TASK_ID: 'train',
  HP_RUN_ID: 'manual__2024',
  HP_TRY_NUMBER: '2',
  HP_INPUT: '{"rows":3,"label":"secret-label"}',
};
const NASTY = 'say "hi"\nline two\r\n\t$(rm -rf /) `id` {{ ti }} {% raw %} é 😀 \u2028 \\ </script>';

describe('runTask', () => {
  it('prints the validated output as the last stdout line and returns 0', async () => {
    const { code, stdout, files } = await runInMemory(trainTask(), airflowEnv);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toEqual(['{"text":"secret-label:3"}']);
    expect(files.size).toBe(0);
  });

  it('round-trips quotes, newlines, shell and Jinja syntax and non-ASCII exactly, on one line', async () => {
    const { code, stdout } = await runInMemory(trainTask(() => ({ text: NASTY })), airflowEnv);
    expect(code).toBe(EXIT_OK);
    const line = stdout.at(-1)!;
    expect(line).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(JSON.parse(line)).toEqual({ text: NASTY });
  });

  it('round-trips any string', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), async (text) => {
        const { stdout } = await runInMemory(trainTask(() => ({ text })), airflowEnv);
        expect(stdout).toHaveLength(1);
        expect(stdout[0]).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(JSON.parse(stdout[0]!)).toEqual({ text });
      }),
      { numRuns: 200 },
    );
  });

  it('drops fields the output schema does not declare', async () => {
    const { stdout } = await runInMemory(trainTask(() => ({ text: 'a', extra: 1 })), airflowEnv);
    expect(stdout).toEqual(['{"text":"a"}']);
  });

  it('writes the output to HP_XCOM_FILE and also prints it', async () => {
    const { code, stdout, files } = await runInMemory(trainTask(), { ...airflowEnv, HP_XCOM_FILE: '/airflow/xcom/return.json' });
    expect(code).toBe(EXIT_OK);
    expect(files.get('/airflow/xcom/return.json')).toBe('{"text":"secret-label:3"}');
    expect(stdout).toEqual(['{"text":"secret-label:3"}']);
  });

  it('logs JSON lines with the run identifiers, duration and outcome, but no values', async () => {
    const { logs } = await runInMemory(
      trainTask((input, ctx) => {
        ctx.log.info({ rows: input.rows }, 'working');
        return { text: 'secret-output' };
      }),
      airflowEnv,
    );
    expect(logs.map((l) => l.msg)).toEqual(['task started', 'input resolved', 'working', 'task finished']);
    for (const line of logs) {
      expect(line).toMatchObject({ dag_id: 'health_predict', task_id: 'train', run_id: 'manual__2024', try_number: 2, script: 'train-model' });
      expect(new Date(line.time as string).toISOString()).toBe(line.time);
    }
    expect(logs[1]).toMatchObject({ input_fields: ['rows', 'label'] });
    expect(logs.at(-1)).toMatchObject({ outcome: 'success', exit_code: 0, duration_ms: expect.any(Number), output_fields: ['text'], output_bytes: 24 });
    expect(JSON.stringify(logs)).not.toMatch(/secret-(label|output)/);
  });

  it('gives the context the run identifiers; tryNumber is 1 outside Airflow', async () => {
    let seen: unknown;
    const task = trainTask((_, ctx) => {
      seen = { dagId: ctx.dagId, taskId: ctx.taskId, runId: ctx.runId, tryNumber: ctx.tryNumber, script: ctx.script };
      return { text: '' };
    });
    await runInMemory(task, airflowEnv);
    expect(seen).toEqual({ dagId: 'health_predict', taskId: 'train', runId: 'manual__2024', tryNumber: 2, script: 'train-model' });
    const { logs } = await runInMemory(task, { HP_INPUT: airflowEnv.HP_INPUT });
    expect(seen).toEqual({ dagId: undefined, taskId: undefined, runId: undefined, tryNumber: 1, script: 'train-model' });
    expect(logs[0]).not.toHaveProperty('dag_id');
    expect(logs[0]).toMatchObject({ try_number: 1 });
  });

  it('returns 97 when run() returns something that breaks the output schema', async () => {
    const { code, stdout, logs } = await runInMemory(trainTask(() => ({ text: 42 })), airflowEnv);
    expect(code).toBe(EXIT_NON_RETRYABLE);
    expect(stdout).toEqual([]);
    const failure = logs.find((l) => l.level === 'error')!;
    expect(failure.error_name).toBe('OutputContractError');
    expect(failure.error_message).toMatch(/returned a value that does not match its output schema:\n {2}- text: .*expected string/);
    expect(logs.at(-1)).toMatchObject({ msg: 'task finished', outcome: 'failed', exit_code: 97 });
  });

  it('returns 97 for an output that cannot be JSON', async () => {
    const def = defineTask({ id: 'big', input: z.object({}), output: z.object({ n: z.bigint() }), run: () => ({ n: 1n }) });
    const { code, logs } = await runInMemory(def, { HP_INPUT: '{}' });
    expect(code).toBe(EXIT_NON_RETRYABLE);
    expect(logs.find((l) => l.level === 'error')!.error_message).toMatch(/cannot be written as JSON/);
  });

  it('returns 97 for bad input, before run() is called', async () => {
    let ran = false;
    const { code, stdout, logs } = await runInMemory(trainTask(() => ((ran = true), { text: '' })), { HP_INPUT: '{"rows":"x"}' });
    expect([code, ran, stdout]).toEqual([EXIT_NON_RETRYABLE, false, []]);
    expect(logs.find((l) => l.level === 'error')).toMatchObject({ error_name: 'InputContractError' });
  });

  it('returns 99 with no stdout line when the task skips itself', async () => {
    for (const skip of [(ctx: { skip(r: string): never }) => ctx.skip('no new data'), () => { throw new SkipTask('no new data'); }]) {
      const { code, stdout, logs } = await runInMemory(trainTask((_, ctx) => skip(ctx)), airflowEnv);
      expect(code).toBe(EXIT_SKIP);
      expect(stdout).toEqual([]);
      expect(logs.find((l) => l.level === 'warn')).toMatchObject({ msg: 'task skipped', reason: 'no new data' });
      expect(logs.at(-1)).toMatchObject({ outcome: 'skipped', exit_code: 99 });
    }
  });

  it.each([BadDataError, CredentialsRefusedError])('returns 97 for %o', async (ErrorClass) => {
    const { code, stdout, logs } = await runInMemory(trainTask(() => { throw new ErrorClass('The CSV has no header row.'); }), airflowEnv);
    expect(code).toBe(EXIT_NON_RETRYABLE);
    expect(stdout).toEqual([]);
    expect(logs.find((l) => l.level === 'error')).toMatchObject({ error_name: ErrorClass.name, error_message: 'The CSV has no header row.' });
  });

  it('returns 1 with the stack logged for any other error', async () => {
    const { code, stdout, logs } = await runInMemory(trainTask(() => { throw new Error('connection reset'); }), airflowEnv);
    expect(code).toBe(EXIT_RETRYABLE);
    expect(stdout).toEqual([]);
    const failure = logs.find((l) => l.level === 'error') as { err: { message: string; stack: string } };
    expect(failure.err.message).toBe('connection reset');
    expect(failure.err.stack).toContain('run-task.test.ts');
  });

  it('returns 1 for a thrown non-Error and a failing xcom file write', async () => {
    expect((await runInMemory(trainTask(() => { throw 'boom'; }), airflowEnv)).code).toBe(EXIT_RETRYABLE);
    const stdout: string[] = [];
    const code = await runTask(trainTask(), {
      env: { ...airflowEnv, HP_XCOM_FILE: '/nope/x.json' },
      stdout: (line) => stdout.push(line),
      writeFile: () => { throw new Error('EACCES'); },
      logDestination: { write: () => {} },
    });
    expect([code, stdout]).toEqual([EXIT_RETRYABLE, []]);
  });
});
