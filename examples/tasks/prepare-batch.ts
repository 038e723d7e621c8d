import { z } from 'zod';
import { BadDataError, defineTask } from '../../src/runtime/index.ts';

/** Takes the trigger's message and row count; refuses a negative count (non-retryable). */
export default defineTask({
  id: 'prepare-batch',
  description: 'Validates the run parameters and builds the batch description.',
  input: z.object({ message: z.string(), rows: z.number().int() }),
  output: z.object({ message: z.string(), rows: z.number().int().nonnegative(), characters: z.number().int() }),
  run: ({ message, rows }, ctx) => {
    if (rows < 0) throw new BadDataError(`Param 'rows' is ${rows}; a batch needs zero or more rows. Trigger again with rows >= 0.`);
    ctx.log.info({ rows, characters: [...message].length }, 'batch prepared');
    return { message, rows, characters: [...message].length };
  },
});
