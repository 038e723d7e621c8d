/** Runs against a real MLflow server: lifecycle, batched logging, search paging. */
import { beforeAll, describe, expect, it } from 'vitest';
import { MlflowBadRequestError, MlflowNotFoundError } from '../../../src/registry/index.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from './helpers.ts';

const services = useServices(['mlflow']);
let experimentId: string;

beforeAll(async () => {
  experimentId = (await client(services.mlflowUri).experiments.getOrCreate(unique('runs'))).experimentId;
});

describe('runs', () => {
  it('goes through its lifecycle: create with tags → log → end → get', async () => {
    const mlflow = client(services.mlflowUri);
    const created = await mlflow.runs.create({ experimentId, runName: 'lifecycle', tags: { model_type: 'xgboost' } });
    expect(created.info).toMatchObject({ experimentId, runName: 'lifecycle', status: 'RUNNING' });
    expect(created.info.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/${created.info.runId}/artifacts`);
    expect(created.data.tags).toMatchObject({ model_type: 'xgboost', 'mlflow.runName': 'lifecycle' });

    await mlflow.runs.logParams(created.info.runId, { max_depth: 6, learning_rate: 0.1, balanced: true });
    await mlflow.runs.logMetrics(created.info.runId, { auc: 0.81, nan_metric: NaN }, { step: 3 });
    await mlflow.runs.setTag(created.info.runId, 'stage', 'candidate');
    const ended = await mlflow.runs.end(created.info.runId);
    expect(ended.status).toBe('FINISHED');
    expect(ended.endTime).toBeGreaterThanOrEqual(created.info.startTime!);

    const run = await mlflow.runs.get(created.info.runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.params).toEqual({ max_depth: '6', learning_rate: '0.1', balanced: 'true' });
    expect(run.data.metrics.auc).toBe(0.81);
    expect(run.data.metrics.nan_metric).toBeNaN();
    expect(run.data.tags.stage).toBe('candidate');
    await mlflow.runs.deleteTag(created.info.runId, 'stage');
    expect((await mlflow.runs.get(created.info.runId)).data.tags.stage).toBeUndefined();
  });

  it('logs 2500 metrics, 250 params and 150 tags in chunks MLflow accepts', async () => {
    const mlflow = client(services.mlflowUri);
    const { info } = await mlflow.runs.create({ experimentId, runName: 'batch' });
    const metrics = Array.from({ length: 2500 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), step, timestamp: 1_700_000_000_000 + step }));
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i]));
    const tags = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`t${i}`, `v${i}`]));
    const requests = await mlflow.runs.logBatch(info.runId, { metrics, params, tags });
    expect(requests).toBe(3); // ≤100 params + ≤100 tags + metrics up to 1000 entities per request
    const history = await mlflow.runs.metricHistory(info.runId, 'loss');
    expect(history).toHaveLength(2500);
    expect(history.map((m) => m.step).sort((a, b) => a - b)).toEqual(metrics.map((m) => m.step));
    const run = await mlflow.runs.get(info.runId);
    expect(Object.keys(run.data.params)).toHaveLength(250);
    expect(Object.keys(run.data.tags).filter((k) => k.startsWith('t'))).toHaveLength(150);
  });

  it('cannot change a logged param (400, not retried) and reports unknown runs as not found', async () => {
    const mlflow = client(services.mlflowUri);
    const { info } = await mlflow.runs.create({ experimentId });
    await mlflow.runs.logParams(info.runId, { seed: 1 });
    await mlflow.runs.logParams(info.runId, { seed: 1 }); // same value: fine
    const changed = await mlflow.runs.logParams(info.runId, { seed: 2 }).catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(MlflowBadRequestError);
    expect(changed).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE', status: 400, retryable: false });
    await expect(mlflow.runs.get('0'.repeat(32))).rejects.toThrow(MlflowNotFoundError);
    await expect(mlflow.runs.setTag('0'.repeat(32), 'k', 'v')).rejects.toThrow(MlflowNotFoundError);
  });

  it('searches with filter and order, following page tokens', async () => {
    const mlflow = client(services.mlflowUri);
    const { experimentId: searchExp } = await mlflow.experiments.getOrCreate(unique('search'));
    for (let i = 0; i < 7; i++) {
      const { info } = await mlflow.runs.create({ experimentId: searchExp, runName: `r${i}`, tags: { parity: i % 2 ? 'odd' : 'even' } });
      await mlflow.runs.logMetrics(info.runId, { score: i });
    }
    const page1 = await mlflow.runs.search({ experimentIds: [searchExp], orderBy: ['metrics.score DESC'], maxResults: 3 });
    expect(page1.items.map((r) => r.data.metrics.score)).toEqual([6, 5, 4]);
    expect(page1.nextPageToken).toBeTruthy();
    const all = await mlflow.runs.searchAll({ experimentIds: [searchExp], orderBy: ['metrics.score DESC'], maxResults: 3 });
    expect(all.map((r) => r.data.metrics.score)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    const odd = await mlflow.runs.searchAll({ experimentIds: [searchExp], filter: "tags.parity = 'odd'", orderBy: ['metrics.score ASC'], maxResults: 2 });
    expect(odd.map((r) => r.info.runName)).toEqual(['r1', 'r3', 'r5']);
    expect(await mlflow.runs.searchAll({ experimentIds: [searchExp], filter: "tags.parity = 'none'" })).toEqual([]);
    expect(await mlflow.runs.searchAll({ experimentIds: [searchExp], maxResults: 2 }, 3)).toHaveLength(3);
  });
});
