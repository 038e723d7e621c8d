/** Shared bits of the registry tests: a client on the harness's MLflow and unique names. */
import { randomUUID } from 'node:crypto';
import { type MlflowClientOptions, createMlflowClient } from '../../../src/registry/index.ts';

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export function client(trackingUri: string, options: Partial<MlflowClientOptions> = {}) {
  return createMlflowClient({ trackingUri, retry: { attempts: 3, baseDelayMs: 50 }, ...options });
}
