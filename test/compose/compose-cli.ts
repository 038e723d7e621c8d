/** The lane's platform through its own compose command line (binary, project, files, env files, environment). */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import type { PlatformUnderTest } from './context.ts';

export function composeSync(platform: PlatformUnderTest, args: readonly string[], timeoutMs = 120_000): SpawnSyncReturns<string> {
  const [binary, ...global] = platform.compose;
  return spawnSync(binary as string, [...global, ...args], { env: platform.composeEnv, encoding: 'utf8', timeout: timeoutMs });
}
