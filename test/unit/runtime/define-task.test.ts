import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { callerLocation } from '../../../src/runtime/call-site.ts';
import { defineTask, type TaskInput, type TaskOutput } from '../../../src/runtime/index.ts';

const RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/runtime');
const spec = {
  id: 'prepare-training-data',
  input: z.object({ rows: z.number().int() }),
  output: z.object({ path: z.string() }),
  run: (input: { rows: number }) => ({ path: `/data/${input.rows}` }),
};

describe('defineTask', () => {
  it('returns a frozen definition that records the calling file and line', () => {
    const def = defineTask(spec); const here = callerLocation([RUNTIME_DIR])!;
    expect(def.kind).toBe('task-definition');
    expect(def.id).toBe('prepare-training-data');
    expect(Object.isFrozen(def)).toBe(true);
    expect(def.source.file).toBe(fileURLToPath(import.meta.url));
    expect(def.source.line).toBe(here.line);
    expect(def.source.line).toBeGreaterThan(0);
    expect('description' in def).toBe(false);
    expect(defineTask({ ...spec, description: 'Cleans rows.' }).description).toBe('Cleans rows.');
  });

  it.each(['Prepare', '1-task', 'snake_case', '', 'has space', 'dot.ts', '-lead'])('rejects the id %j', (id) => {
    expect(() => defineTask({ ...spec, id })).toThrow(TypeError);
    expect(() => defineTask({ ...spec, id })).toThrow(/not a valid script id.*lowercase letters, digits and dashes/);
  });

  it('names the calling file in its errors', () => {
    expect(() => defineTask({ ...spec, id: 'Bad' })).toThrow(/define-task\.test\.ts:\d+/);
  });

  it('rejects input and output schemas that are not z.object', () => {
    expect(() => defineTask({ ...spec, input: z.string() as unknown as z.ZodObject })).toThrow(/needs 'input' to be a z\.object/);
    expect(() => defineTask({ ...spec, output: z.array(z.string()) as unknown as z.ZodObject })).toThrow(/needs 'output' to be a z\.object/);
  });

  it('accepts strict and loose objects', () => {
    expect(defineTask({ ...spec, input: z.strictObject({ rows: z.number() }), output: z.looseObject({ path: z.string() }) }).id).toBe(spec.id);
  });

  it('reads no environment variables (DAG files import definitions at compile time)', () => {
    const original = process.env;
    process.env = new Proxy(original, {
      get: (target, key) => {
        throw new Error(`defineTask read process.env.${String(key)}`);
      },
    });
    try {
      defineTask(spec);
    } finally {
      process.env = original;
    }
  });

  it('exposes the input and output types of a definition', () => {
    const def = defineTask(spec);
    expectTypeOf<TaskInput<typeof def>>().toEqualTypeOf<{ rows: number }>();
    expectTypeOf<TaskOutput<typeof def>>().toEqualTypeOf<{ path: string }>();
  });
});
