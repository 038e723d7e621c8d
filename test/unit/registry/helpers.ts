/** Shared bits of the registry tests: a client on the harness's MLflow, unique names, and a client that crashes after k writes. */
import { randomUUID } from 'node:crypto';
import { type MlflowClient, type MlflowClientOptions, createMlflowClient } from '../../../src/registry/index.ts';

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export function client(trackingUri: string, options: Partial<MlflowClientOptions> = {}) {
  return createMlflowClient({ trackingUri, retry: { attempts: 3, baseDelayMs: 50 }, ...options });
}

export class Crash extends Error {}

/** A client whose registry `writes` (names of `mlflow.models` methods) throw Crash once `k` of them went through. */
export function crashingAfter(mlflow: MlflowClient, k: number, writes: readonly (keyof MlflowClient['models'])[]): { client: MlflowClient; writes: string[] } {
  const done: string[] = [];
  const models: Record<string, unknown> = { ...mlflow.models };
  for (const name of writes) {
    const real = mlflow.models[name] as (...args: unknown[]) => Promise<unknown>;
    models[name] = async (...args: unknown[]) => {
      if (done.length >= k) throw new Crash(`simulated crash before write ${k + 1} (${name})`);
      done.push(name);
      return real(...args);
    };
  }
  return { client: { ...mlflow, models: models as MlflowClient['models'] }, writes: done };
}

/** True when `promise` stopped at a simulated crash, false when it completed; any other error is rethrown. */
export const crashed = (promise: Promise<unknown>) =>
  promise.then(
    () => false,
    (error: unknown) => {
      if (error instanceof Crash) return true;
      throw error;
    },
  );
