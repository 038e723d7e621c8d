/** "Airflow schedule": a DAG with a real schedule (every minute) runs on the compose platform without any trigger. */
import { expect, inject, it } from 'vitest';
import { describeWithService } from '../harness/skip.ts';
import { AirflowApi } from './airflow-api.ts';
import './context.ts';

const DAG = 'hp_compose_every_minute';

describeWithService(inject('platformSkip'), 'compose Airflow: the scheduler runs a scheduled DAG', () => {
  const api = new AirflowApi(inject('platform'));

  it('has scheduled runs (run_type scheduled) that succeeded, and no manual one', async () => {
    const deadline = Date.now() + 4 * 60_000;
    let runs = await api.runs(DAG);
    while (!runs.some((run) => run.run_type === 'scheduled' && run.state === 'success') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      runs = await api.runs(DAG);
    }
    expect(runs.filter((run) => run.run_type === 'scheduled' && run.state === 'success').length).toBeGreaterThan(0);
    expect(runs.filter((run) => run.run_type === 'manual')).toEqual([]);
    const scheduled = runs.find((run) => run.run_type === 'scheduled' && run.state === 'success')!;
    expect(await api.log(DAG, scheduled.dag_run_id, 'tick', 1)).toContain(`scheduled run ${scheduled.dag_run_id}`);
  });
});
