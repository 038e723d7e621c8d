/**
 * `.platform/state.json`: what `up` chose for this checkout (the daemon, the override, the paths
 * it gave compose), so `down`, `status` and `logs` address the same project the same way.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PlatformError } from './errors.ts';

export const platformStateSchema = z.object({
  dockerHost: z.string(),
  local: z.boolean(),
  /** True when `up` started the stack's dockerd (then `down` stops it). */
  startedDocker: z.boolean(),
  /** Machine-specific variables passed to compose (socket, kubeconfig dir, raw data dir, …). */
  env: z.record(z.string(), z.string()),
  project: z.string(),
});
export type PlatformState = z.infer<typeof platformStateSchema>;

export function readPlatformState(file: string): PlatformState | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = platformStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new PlatformError(`${file} is not a platform state file (${parsed.error.issues[0]?.message}); delete it and run \`make up\` again.`);
  return parsed.data;
}

/** Writes the state, or removes it when `state` is undefined. */
export function writePlatformState(file: string, state: PlatformState | undefined): void {
  if (!state) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}
