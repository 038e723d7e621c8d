/**
 * After every run of the lane: no secret of the platform (its .env: passwords, Fernet and JWT keys,
 * AWS keys; the Slack webhook URL) appears in a DAG file the scheduler reads, an XCom, a rendered
 * template field or a task log.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/host/repo-root.ts';
import { describeWithService } from '../harness/skip.ts';
import { AirflowApi } from './airflow-api.ts';
import { composeSync } from './compose-cli.ts';
import './context.ts';

describeWithService(inject('platformSkip'), 'compose Airflow: no secret leaks', () => {
  const platform = inject('platform');
  const api = new AirflowApi(platform);
  // Values short enough to occur by chance (the user name) are not secrets.
  const secrets = Object.entries(platform.secrets).filter(([name, value]) => value.length >= 12 && !['_AIRFLOW_WWW_USER_USERNAME', 'HP_LOCAL_REGISTRY_USERNAME'].includes(name));
  const leaks = (where: string, text: string) => secrets.filter(([, value]) => text.includes(value)).map(([name]) => `${name} in ${where}`);

  it('knows the secrets it looks for', () => {
    expect(secrets.map(([name]) => name)).toEqual(expect.arrayContaining(['AIRFLOW_FERNET_KEY', 'AIRFLOW_JWT_SECRET', 'POSTGRES_PASSWORD', 'HP_LOCAL_REGISTRY_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL', '_AIRFLOW_WWW_USER_PASSWORD']));
  });

  it('in the DAG files: the committed ones and those in the image', () => {
    const found: string[] = [];
    const committed = path.join(REPO_ROOT, 'generated', 'dags');
    for (const file of readdirSync(committed).filter((name) => name.endsWith('.py'))) found.push(...leaks(`generated/dags/${file}`, readFileSync(path.join(committed, file), 'utf8')));
    const inImage = composeSync(platform, ['exec', '-T', 'airflow-scheduler', 'sh', '-c', 'cat /opt/airflow/dags/*.py'], 60_000);
    expect(inImage.status, inImage.stderr).toBe(0);
    expect(inImage.stdout).toContain('health_predict_continuous_improvement');
    found.push(...leaks('the image\'s DAG files', inImage.stdout));
    expect(found).toEqual([]);
  });

  it('in every XCom, rendered field and task log of every run', async () => {
    const found: string[] = [];
    let logs = 0;
    const { dags } = await api.request<{ dags: { dag_id: string }[] }>('GET', '/dags?limit=100');
    for (const { dag_id: dagId } of dags) {
      for (const run of await api.runs(dagId)) {
        const xcoms = await api.request<{ xcom_entries: { task_id: string; key: string }[] }>('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(run.dag_run_id)}/taskInstances/~/xcomEntries?limit=100`);
        for (const entry of xcoms.xcom_entries) {
          const value = await api.request<unknown>('GET', `/dags/${dagId}/dagRuns/${encodeURIComponent(run.dag_run_id)}/taskInstances/${entry.task_id}/xcomEntries/${entry.key}`);
          found.push(...leaks(`XCom ${dagId}/${entry.task_id}/${entry.key}`, JSON.stringify(value)));
        }
        for (const ti of await api.taskInstances(dagId, run.dag_run_id)) {
          found.push(...leaks(`rendered fields of ${dagId}/${ti.task_id}`, JSON.stringify(ti.rendered_fields ?? {})));
          for (let attempt = 1; attempt <= ti.try_number; attempt++) {
            found.push(...leaks(`log of ${dagId}/${run.dag_run_id}/${ti.task_id} try ${attempt}`, await api.log(dagId, run.dag_run_id, ti.task_id, attempt)));
            logs++;
          }
        }
      }
    }
    expect(logs).toBeGreaterThan(20);
    expect(found).toEqual([]);
  });
});
