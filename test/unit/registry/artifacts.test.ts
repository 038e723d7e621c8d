/** Artifacts through the tracking server's proxy, against a real MLflow server. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowBadRequestError, MlflowNotFoundError, type Run } from '../../../src/registry/index.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from './helpers.ts';

const services = useServices(['mlflow']);
let run: Run;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hp-artifacts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  const mlflow = client(services.mlflowUri);
  const { experimentId } = await mlflow.experiments.getOrCreate(unique('artifacts'));
  run = await mlflow.runs.create({ experimentId });
});

describe('artifacts', () => {
  it('round-trips binary bytes unchanged (every byte value, 1 MiB)', async () => {
    const mlflow = client(services.mlflowUri);
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20)]);
    await mlflow.artifacts.upload(run.info.runId, 'model/model.onnx', bytes);
    const back = await mlflow.artifacts.download(run.info.runId, 'model/model.onnx');
    expect(back.equals(bytes)).toBe(true);
    // the same via the run's info (no lookup) and a fresh client
    expect((await client(services.mlflowUri).artifacts.download(run.info, 'model/model.onnx')).equals(bytes)).toBe(true);
  });

  it('uploads and downloads files and directories; lists relative to the run root', async () => {
    const mlflow = client(services.mlflowUri);
    const dir = path.join(tmp, 'bundle');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'schema.json'), '{"columns":[]}');
    writeFileSync(path.join(dir, 'sub', 'odd name+1 é.txt'), 'odd');
    const uploaded = await mlflow.artifacts.uploadDir(run.info.runId, dir, 'bundle');
    expect(uploaded.sort()).toEqual(['bundle/schema.json', 'bundle/sub/odd name+1 é.txt']);
    await mlflow.artifacts.uploadFile(run.info.runId, path.join(dir, 'schema.json'));

    expect(await mlflow.artifacts.list(run.info.runId, 'bundle')).toEqual([
      { path: 'bundle/schema.json', isDir: false, fileSize: 14 },
      { path: 'bundle/sub', isDir: true, fileSize: undefined },
    ]);
    expect((await mlflow.artifacts.list(run.info.runId)).map((e) => e.path)).toEqual(expect.arrayContaining(['bundle', 'schema.json']));
    expect(await mlflow.artifacts.list(run.info.runId, 'no/such/dir')).toEqual([]);

    const dest = path.join(tmp, 'out', 'odd.txt');
    await mlflow.artifacts.downloadFile(run.info.runId, 'bundle/sub/odd name+1 é.txt', dest);
    expect(readFileSync(dest, 'utf8')).toBe('odd');
  });

  it('overwrites an existing artifact', async () => {
    const mlflow = client(services.mlflowUri);
    await mlflow.artifacts.upload(run.info.runId, 'notes.txt', 'first');
    await mlflow.artifacts.upload(run.info.runId, 'notes.txt', 'second');
    expect((await mlflow.artifacts.download(run.info.runId, 'notes.txt')).toString()).toBe('second');
  });

  it('reports a missing file as not found, a directory as a bad request, and refuses escaping paths', async () => {
    const mlflow = client(services.mlflowUri);
    const missing = await mlflow.artifacts.download(run.info.runId, 'nope.bin').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MlflowNotFoundError);
    expect(missing).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST', method: 'GET' });
    await mlflow.artifacts.upload(run.info.runId, 'd/f.txt', 'x');
    await expect(mlflow.artifacts.download(run.info.runId, 'd')).rejects.toThrow(MlflowBadRequestError);
    await expect(mlflow.artifacts.upload(run.info.runId, '../escape.txt', 'x')).rejects.toThrow(/without empty, '\.' or '\.\.' segments/);
    await expect(mlflow.artifacts.upload('0'.repeat(32), 'x.txt', 'x')).rejects.toThrow(MlflowNotFoundError);
  });
});
