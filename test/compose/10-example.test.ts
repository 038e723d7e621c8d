/** health_predict_example through the REST API of the compose Airflow, both branches: the scheduler runs what the UI's Trigger starts. */
import { describe, expect, inject, it } from 'vitest';
import { describeWithService } from '../harness/skip.ts';
import { AirflowApi } from './airflow-api.ts';
import './context.ts';

const DAG = 'health_predict_example';

describeWithService(inject('platformSkip'), 'compose Airflow: the example DAG', () => {
  const api = new AirflowApi(inject('platform'));

  it('refuses the REST API without a token, and lists every DAG unpaused with no import error', async () => {
    const anonymous = await fetch(`${inject('platform').url}/api/v2/dags`);
    expect(anonymous.status).toBe(401);
    const { dags } = await api.request<{ dags: { dag_id: string; is_paused: boolean; description: string | null }[] }>('GET', '/dags?limit=100');
    const ids = dags.map((d) => d.dag_id);
    expect(ids).toEqual(expect.arrayContaining(['health_predict_continuous_improvement', 'health_predict_example', 'health_predict_rollback']));
    expect(dags.filter((d) => d.is_paused)).toEqual([]);
    expect(dags.find((d) => d.dag_id === 'health_predict_continuous_improvement')?.description).toMatch(/readmission model/);
    expect((await api.request<{ total_entries: number }>('GET', '/importErrors')).total_entries).toBe(0);
  });

  describe.each([
    ['fast', 'fast_path', 'thorough_path'],
    ['thorough', 'thorough_path', 'fast_path'],
  ])('route %s', (route, taken, skipped) => {
    it(`runs ${taken}, skips ${skipped}, retries the flaky step and passes values through XCom`, async () => {
      const { dag_run_id: runId } = await api.trigger(DAG, { route });
      const run = await api.waitForRun(DAG, runId, { timeoutMs: 5 * 60_000 });
      const states = await api.states(DAG, runId);
      expect(run.state, JSON.stringify(states)).toBe('success');
      expect(states).toMatchObject({ prepare_batch: 'success', route_branch: 'success', [taken]: 'success', [skipped]: 'skipped', join: 'success', 'report.flaky_step': 'success', optional_export: 'skipped' });
      const flaky = (await api.taskInstances(DAG, runId)).find((ti) => ti.task_id === 'report.flaky_step');
      expect(flaky?.try_number).toBe(2);
      expect(await api.xcom<{ route: string }>(DAG, runId, 'choose_route')).toMatchObject({ route });
    });
  });
});
