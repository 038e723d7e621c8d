/**
 * The per-machine cache: what is slow to make and safe to share between checkouts and stack
 * restarts (Docker's image store, the base image's root filesystem). Never inside the repo.
 */
import os from 'node:os';
import path from 'node:path';

/** `HP_CACHE_DIR`, else `$XDG_CACHE_HOME/health-predict`, else `~/.cache/health-predict`. */
export function machineCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HP_CACHE_DIR) return path.resolve(env.HP_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'health-predict');
}
