/** Experiments against a real MLflow server. */
import { describe, expect, it } from 'vitest';
import { MlflowConflictError, MlflowNotFoundError } from '../../../src/registry/index.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from './helpers.ts';

const services = useServices(['mlflow']);

describe('experiments', () => {
  it('getByName is undefined for a missing experiment; get by id throws MlflowNotFoundError with the details', async () => {
    const mlflow = client(services.mlflowUri);
    expect(await mlflow.experiments.getByName(unique('missing'))).toBeUndefined();
    const error = await mlflow.experiments.get('987654321').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowNotFoundError);
    expect(error).toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404, method: 'GET', path: '/api/2.0/mlflow/experiments/get', retryable: false });
  });

  it('creates once, then getOrCreate returns the same experiment; a second create is a conflict', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('exp');
    const created = await mlflow.experiments.getOrCreate(name, { tags: { team: 'readmission' } });
    expect(created).toMatchObject({ name, lifecycleStage: 'active', tags: { team: 'readmission' } });
    expect(created.artifactLocation).toBe(`mlflow-artifacts:/${created.experimentId}`);
    expect((await mlflow.experiments.getOrCreate(name)).experimentId).toBe(created.experimentId);
    const conflict = await mlflow.experiments.create(name).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(MlflowConflictError);
    expect(conflict).toMatchObject({ errorCode: 'RESOURCE_ALREADY_EXISTS', status: 400 });
  });

  it('getOrCreate is safe when several callers race for the same name', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('race');
    const results = await Promise.all(Array.from({ length: 6 }, () => mlflow.experiments.getOrCreate(name)));
    expect(new Set(results.map((e) => e.experimentId)).size).toBe(1);
  });

  it('refuses to reuse a deleted experiment and says how to fix it', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('deleted');
    const { experimentId } = await mlflow.experiments.getOrCreate(name);
    const deleted = await fetch(`${services.mlflowUri}/api/2.0/mlflow/experiments/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: experimentId }),
    });
    expect(deleted.status).toBe(200);
    await expect(mlflow.experiments.getOrCreate(name)).rejects.toThrow(/is deleted.*restore/);
  });

  it('searches with a filter and pages', async () => {
    const mlflow = client(services.mlflowUri);
    const prefix = unique('search');
    for (const i of [1, 2, 3]) await mlflow.experiments.create(`${prefix}-${i}`);
    const first = await mlflow.experiments.search({ filter: `name LIKE '${prefix}-%'`, maxResults: 2, orderBy: ['name ASC'] });
    expect(first.items.map((e) => e.name)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    const second = await mlflow.experiments.search({ filter: `name LIKE '${prefix}-%'`, maxResults: 2, orderBy: ['name ASC'], pageToken: first.nextPageToken });
    expect(second.items.map((e) => e.name)).toEqual([`${prefix}-3`]);
    expect(second.nextPageToken).toBeUndefined();
  });
});
