import { z } from 'zod';
import { defineTask } from '../../src/runtime/index.ts';

/** Fails on its first try with an ordinary (retryable) error, succeeds on the next. */
export default defineTask({
  id: 'flaky-step',
  input: z.object({ message: z.string() }),
  output: z.object({ attempt: z.number().int(), echoed: z.string() }),
  run: ({ message }, ctx) => {
    if (ctx.tryNumber < 2) throw new Error(`simulated transient failure on try ${ctx.tryNumber}; Airflow retries it`);
    return { attempt: ctx.tryNumber, echoed: message };
  },
});
