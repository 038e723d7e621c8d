import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTask, InputContractError, resolveInput, type InputBinding } from '../../../src/runtime/index.ts';

const def = defineTask({
  id: 'train-model',
  input: z.object({ manifest: z.string(), rows: z.number().int(), mode: z.enum(['fast', 'full']) }),
  output: z.object({}),
  run: () => ({}),
});

const bindings: Record<string, InputBinding> = {
  manifest: { from: 'xcom', task: 'prepare', path: ['result', 'manifest'] },
  rows: { from: 'param', name: 'row_limit' },
  mode: { from: 'const', value: 'fast' },
};

const envWith = (values: Record<string, string | undefined>, b: Record<string, InputBinding> = bindings) => ({
  HP_TASK_ID: 'train',
  HP_BINDINGS: JSON.stringify(b),
  HP_INPUT__manifest: JSON.stringify({ result: { manifest: 's3://bucket/m.json' }, other: 1 }),
  HP_INPUT__rows: '500',
  ...values,
});

function inputError(env: Record<string, string | undefined>): InputContractError {
  try {
    resolveInput(def, env);
  } catch (error) {
    expect(error).toBeInstanceOf(InputContractError);
    return error as InputContractError;
  }
  throw new Error('expected resolveInput to throw');
}

describe('resolveInput', () => {
  it('takes the whole input from HP_INPUT and ignores bindings', () => {
    const input = resolveInput(def, { HP_INPUT: '{"manifest":"m","rows":3,"mode":"full"}', HP_BINDINGS: '{not json' });
    expect(input).toEqual({ manifest: 'm', rows: 3, mode: 'full' });
  });

  it('assembles the input from an xcom path, a param and a constant', () => {
    expect(resolveInput(def, envWith({}))).toEqual({ manifest: 's3://bucket/m.json', rows: 500, mode: 'fast' });
  });

  it('takes a whole upstream output when the path is empty', () => {
    const wholeDef = defineTask({ id: 'w', input: z.object({ up: z.object({ a: z.number() }) }), output: z.object({}), run: () => ({}) });
    const env = { HP_BINDINGS: JSON.stringify({ up: { from: 'xcom', task: 'p', path: [] } }), HP_INPUT__up: '{"a":1}' };
    expect(resolveInput(wholeDef, env)).toEqual({ up: { a: 1 } });
  });

  it('treats a missing HP_BINDINGS as no bindings', () => {
    const empty = defineTask({ id: 'e', input: z.object({}), output: z.object({}), run: () => ({}) });
    expect(resolveInput(empty, {})).toEqual({});
  });

  it('names the missing variable', () => {
    const error = inputError(envWith({ HP_INPUT__rows: undefined }));
    expect(error.message).toMatch(/Input 'rows' of task 'train' comes from param 'row_limit', but the environment variable HP_INPUT__rows is not set\./);
  });

  it('names the variable and the JSON error when a value is not JSON', () => {
    const error = inputError(envWith({ HP_INPUT__rows: '{oops' }));
    expect(error.message).toMatch(/HP_INPUT__rows is not valid JSON \(.+\)/);
    expect(inputError({ HP_INPUT: 'nope' }).message).toMatch(/HP_INPUT is not valid JSON/);
    expect(inputError({ HP_BINDINGS: '[' }).message).toMatch(/HP_BINDINGS is not valid JSON/);
  });

  it('rejects a malformed HP_BINDINGS', () => {
    expect(inputError({ HP_BINDINGS: '{"rows":{"from":"env"}}' }).message).toMatch(/HP_BINDINGS is malformed/);
  });

  it.each(['null', '', '  '])('explains an upstream task that pushed nothing (%j)', (value) => {
    const error = inputError(envWith({ HP_INPUT__manifest: value }));
    expect(error.message).toMatch(/Input 'manifest' of task 'train' comes from task 'prepare' field 'result\.manifest', but task 'prepare' pushed no output/);
  });

  it('lists the keys the upstream output has when a path key is missing', () => {
    const flat = { manifest: { from: 'xcom', task: 'prepare', path: ['manifest'] } } as const;
    const error = inputError(envWith({ HP_INPUT__manifest: '{"a":1,"b":2}' }, { ...bindings, ...flat }));
    expect(error.message).toContain(
      "Input 'manifest' of task 'train' comes from task 'prepare' field 'manifest', but that task's output has no field 'manifest' (got keys: a, b).",
    );
    const nested = inputError(envWith({ HP_INPUT__manifest: '{"result":"text"}' }));
    expect(nested.message).toContain("has no field 'result.manifest' (got a string)");
  });

  it('lists every schema issue with its field and provenance', () => {
    const error = inputError(
      envWith({ HP_INPUT__rows: '"many"', HP_INPUT__manifest: '{"result":{"manifest":7}}' }, { ...bindings, mode: { from: 'const', value: 'slow' } }),
    );
    expect(error.message).toMatch(/^The input of task 'train' does not match the input schema of script 'train-model':/);
    expect(error.message).toMatch(/- manifest \(from task 'prepare' field 'result\.manifest'\): .*expected string/);
    expect(error.message).toMatch(/- rows \(from param 'row_limit'\): .*expected number/);
    expect(error.message).toMatch(/- mode \(from a constant in the DAG\): /);
    expect(error.message).toContain('inputs.test.ts');
  });

  it('reports a field that has no binding', () => {
    const { rows: _, ...withoutRows } = bindings;
    expect(inputError(envWith({}, withoutRows)).message).toMatch(/- rows \(from nowhere: it has no binding in HP_BINDINGS\)/);
  });

  it('names HP_INPUT as the provenance in manual runs', () => {
    expect(inputError({ HP_INPUT: '{"manifest":"m","rows":1.5,"mode":"fast"}' }).message).toMatch(/- rows \(from HP_INPUT\): /);
    expect(inputError({ HP_INPUT: '[1]' }).message).toMatch(/- \(input\) \(from HP_INPUT\): /);
  });
});
