import { z } from 'zod';
import { defineTask } from '../../src/runtime/index.ts';

export default defineTask({
  id: 'summarise',
  input: z.object({ message: z.string(), characters: z.number().int(), attempt: z.number().int() }),
  output: z.object({ message: z.string(), summary: z.string() }),
  run: ({ message, characters, attempt }) => ({
    message,
    summary: `${characters} characters arrived intact after ${attempt} attempt(s)`,
  }),
});
