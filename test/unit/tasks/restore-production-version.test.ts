/**
 * restore-production-version against a real MLflow: production 2 → 1, previous 2, the rollback
 * record on version 2 names the trigger, this dag and run; an Airflow retry of the same run
 * changes nothing; a dry run skips.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type MlflowClient, PREVIOUS_ALIAS, PRODUCTION_ALIAS, readPeriods, readRollback } from '../../../src/registry/index.ts';
import { EXIT_OK, EXIT_SKIP } from '../../../src/runtime/index.ts';
import restoreTask from '../../../src/tasks/restore-production-version.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from '../registry/helpers.ts';
import { DAG_ID, problemsOf, runAsAirflow } from './run-as-airflow.ts';
import { ROLLED_TO_ONE, deployedModel, imageOf, planToOne } from './manual-rollback-fixtures.ts';

const services = useServices(['mlflow']);
let mlflow: MlflowClient;
let experimentId: string;
const rolled = ROLLED_TO_ONE;

beforeAll(async () => {
  mlflow = client(services.mlflowUri);
  experimentId = (await mlflow.experiments.getOrCreate(unique('restore-production'))).experimentId;
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
});

describe('restore-production-version', () => {
  it('moves production to 1 and previous to 2, tags 2 with the manual rollback record; a retry changes nothing', async () => {
    const modelName = await deployedModel(mlflow, experimentId);
    const plan = planToOne(modelName);
    const result = await runAsAirflow(restoreTask, 'restore_production_version', { plan, rolled }, { runId: 'manual__to_1' });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toMatchObject({ restored: '1', replaced: '2', image: imageOf('1') });
    expect((await mlflow.models.get(modelName))!.aliases).toEqual({ [PRODUCTION_ALIAS]: '1', [PREVIOUS_ALIAS]: '2' });
    const replaced = await mlflow.models.getVersion(modelName, '2');
    expect(readRollback(replaced)).toEqual({ reason: plan.reason, at: result.output!.at, restored: '1', trigger: 'manual', dag_id: DAG_ID, dag_run_id: 'manual__to_1' });
    expect(readPeriods(await mlflow.models.getVersion(modelName, '1')).at(-1)).toMatchObject({ from: result.output!.at, to: null });

    const tagsBefore = (await mlflow.models.searchAllVersions({ filter: `name = '${modelName}'` })).map((v) => v.tags);
    const retry = await runAsAirflow(restoreTask, 'restore_production_version', { plan, rolled }, { runId: 'manual__to_1', tryNumber: 2 });
    expect(retry.output).toEqual(result.output);
    expect((await mlflow.models.searchAllVersions({ filter: `name = '${modelName}'` })).map((v) => v.tags)).toEqual(tagsBefore);
  });

  it('a dry run skips with the reason and writes nothing', async () => {
    const modelName = await deployedModel(mlflow, experimentId);
    const result = await runAsAirflow(restoreTask, 'restore_production_version', { plan: planToOne(modelName, { dry_run: true }), rolled });
    expect(result.code).toBe(EXIT_SKIP);
    expect(result.skipReason).toMatch(/^dry run: 'production' would move from version 2 to 1/);
    expect((await mlflow.models.get(modelName))!.aliases).toEqual({ [PRODUCTION_ALIAS]: '2', [PREVIOUS_ALIAS]: '1' });
  });
});
