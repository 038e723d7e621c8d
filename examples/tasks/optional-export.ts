import { z } from 'zod';
import { defineTask } from '../../src/runtime/index.ts';

/** Skips (exit 99) unless the `export_enabled` param is on. */
export default defineTask({
  id: 'optional-export',
  input: z.object({ enabled: z.boolean() }),
  output: z.object({ exported: z.literal(true) }),
  run: ({ enabled }, ctx) => {
    if (!enabled) ctx.skip("param 'export_enabled' is false; nothing to export");
    return { exported: true as const };
  },
});
