import { z } from 'zod';
import { defineTask } from '../../src/runtime/index.ts';

export default defineTask({
  id: 'thorough-path',
  input: z.object({ rows: z.number().int() }),
  output: z.object({ path: z.literal('thorough'), processed: z.number().int() }),
  run: ({ rows }) => ({ path: 'thorough' as const, processed: rows }),
});
