/** The model registry against a real MLflow server: versions → READY, aliases, tags, search. */
import { beforeAll, describe, expect, it } from 'vitest';
import { MlflowConflictError, MlflowNotFoundError, type Run } from '../../../src/registry/index.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from './helpers.ts';

const services = useServices(['mlflow']);
let run: Run;

beforeAll(async () => {
  const mlflow = client(services.mlflowUri);
  const { experimentId } = await mlflow.experiments.getOrCreate(unique('models'));
  run = await mlflow.runs.create({ experimentId });
  await mlflow.artifacts.upload(run.info.runId, 'model/model.onnx', Buffer.from([1, 2, 3]));
});

const source = () => `${run.info.artifactUri}/model`;

describe('registered models and versions', () => {
  it('creates a version that becomes READY, with tags', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('model');
    expect(await mlflow.models.get(name)).toBeUndefined();
    const model = await mlflow.models.getOrCreate(name, { description: 'readmission', tags: { owner: 'ml' } });
    expect(model).toMatchObject({ name, description: 'readmission', tags: { owner: 'ml' }, aliases: {}, latestVersions: [] });
    await expect(mlflow.models.create(name)).rejects.toThrow(MlflowConflictError);

    const version = await mlflow.models.registerVersion({ name, source: source(), runId: run.info.runId, tags: { auc: '0.81' } });
    expect(version).toMatchObject({ name, version: '1', status: 'READY', runId: run.info.runId, source: source(), tags: { auc: '0.81' } });
    const second = await mlflow.models.registerVersion({ name, source: `runs:/${run.info.runId}/model`, runId: run.info.runId });
    expect(second.version).toBe('2');
    expect(await mlflow.models.waitUntilReady(name, 2, { timeoutMs: 5_000 })).toMatchObject({ status: 'READY' });

    await mlflow.models.setVersionTag(name, 1, 'gate', 'passed');
    expect((await mlflow.models.getVersion(name, '1')).tags).toEqual({ auc: '0.81', gate: 'passed' });
    await mlflow.models.deleteVersionTag(name, 1, 'gate');
    expect((await mlflow.models.getVersion(name, 1)).tags).toEqual({ auc: '0.81' });
    await mlflow.models.setTag(name, 'production_version', '1');
    expect((await mlflow.models.get(name))!.tags.production_version).toBe('1');

    await expect(mlflow.models.getVersion(name, 99)).rejects.toThrow(MlflowNotFoundError);
    await expect(mlflow.models.createVersion({ name: unique('no-such-model'), source: source(), runId: run.info.runId })).rejects.toThrow(MlflowNotFoundError);
  });

  it('sets, reads, moves and deletes an alias; a missing alias is undefined', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('aliased');
    await mlflow.models.create(name);
    for (let i = 0; i < 2; i++) await mlflow.models.registerVersion({ name, source: source(), runId: run.info.runId });

    expect(await mlflow.models.getVersionByAlias(name, 'production')).toBeUndefined();
    await mlflow.models.setAlias(name, 'production', 1);
    const production = await mlflow.models.getVersionByAlias(name, 'production');
    expect(production).toMatchObject({ version: '1', aliases: ['production'] });
    expect((await mlflow.models.get(name))!.aliases).toEqual({ production: '1' });

    await mlflow.models.setAlias(name, 'production', '2');
    await mlflow.models.setAlias(name, 'previous', '1');
    expect((await mlflow.models.get(name))!.aliases).toEqual({ production: '2', previous: '1' });
    expect((await mlflow.models.getVersion(name, 2)).aliases).toEqual(['production']);

    await mlflow.models.deleteAlias(name, 'previous');
    await mlflow.models.deleteAlias(name, 'previous'); // idempotent
    expect((await mlflow.models.get(name))!.aliases).toEqual({ production: '2' });
    expect(await mlflow.models.getVersionByAlias(name, 'previous')).toBeUndefined();

    await expect(mlflow.models.getVersionByAlias(unique('no-model'), 'production')).rejects.toThrow(MlflowNotFoundError);
    await expect(mlflow.models.setAlias(name, 'x', 42)).rejects.toThrow(MlflowNotFoundError);
  });

  it('searches versions with paging; search results carry no aliases', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('searched');
    await mlflow.models.create(name);
    for (let i = 0; i < 5; i++) await mlflow.models.registerVersion({ name, source: source(), runId: run.info.runId });
    await mlflow.models.setAlias(name, 'production', 3);
    const page = await mlflow.models.searchVersions({ filter: `name = '${name}'`, maxResults: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextPageToken).toBeTruthy();
    const all = await mlflow.models.searchAllVersions({ filter: `name = '${name}'`, maxResults: 2 });
    expect(all.map((v) => v.version).sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(all.every((v) => v.aliases.length === 0)).toBe(true);
    expect(await mlflow.models.searchAllVersions({ filter: `name = '${unique('none')}'` })).toEqual([]);
  });
});
