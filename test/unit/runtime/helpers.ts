import { z } from 'zod';
import { defineTask, runTask, type TaskContext } from '../../../src/runtime/index.ts';

/** runTask against in-memory stdout, files and log lines. */
export async function runInMemory(def: Parameters<typeof runTask>[0], env: Record<string, string | undefined> = {}) {
  const stdout: string[] = [];
  const files = new Map<string, string>();
  const logText: string[] = [];
  let clock = 1_000;
  const code = await runTask(def, {
    env,
    stdout: (line) => stdout.push(line),
    writeFile: (path, data) => files.set(path, data),
    logDestination: { write: (chunk: string) => void logText.push(chunk) },
    now: () => (clock += 5),
  });
  const logs = logText.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, stdout, files, logs };
}

export const trainTask = (run?: (input: { rows: number; label: string }, ctx: TaskContext) => unknown) =>
  defineTask({
    id: 'train-model',
    input: z.object({ rows: z.number().int(), label: z.string() }),
    output: z.object({ text: z.string() }),
    run: async (input, ctx) => (run ? run(input, ctx) : { text: `${input.label}:${input.rows}` }) as { text: string },
  });
