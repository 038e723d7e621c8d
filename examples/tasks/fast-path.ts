import { z } from 'zod';
import { defineTask } from '../../src/runtime/index.ts';

export default defineTask({
  id: 'fast-path',
  input: z.object({ rows: z.number().int() }),
  output: z.object({ path: z.literal('fast'), processed: z.number().int() }),
  run: ({ rows }) => ({ path: 'fast' as const, processed: Math.min(rows, 10) }),
});
