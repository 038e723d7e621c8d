import { z } from 'zod';
import { defineTask } from '../../src/runtime/index.ts';

/** Turns the `route` param into a typed decision the branch maps to its paths. */
export default defineTask({
  id: 'choose-route',
  input: z.object({ route: z.enum(['fast', 'thorough']), rows: z.number().int() }),
  output: z.object({ route: z.enum(['fast', 'thorough']), reason: z.string() }),
  run: ({ route, rows }) => ({ route, reason: `route '${route}' requested for ${rows} rows` }),
});
