/**
 * The compiler's cron rules against the real croniter in the Airflow environment: every
 * expression it accepts, croniter accepts, and every one croniter refuses, it refuses too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { cronProblems } from '../../../src/dsl/cron.ts';

const AIRFLOW_PYTHON = path.join(PROJECT_ROOT, '.venv/airflow/bin/python');

const EXPRESSIONS = [
  '0 3 * * *', '*/5 * * * *', '0 0 1 */3 *', '0 0 * * 7', '0 0 * jan-mar mon-fri', '5/15 * * * *', '0 0 ? * *',
  '0 0 L * *', '0 0 15W * *', '0 0 * * 1#2', '0 0 * * SUN#1', '0 0 5-2 * *', '0-59/100 * * * *', '0 0 29 2 *',
  '61 * * * *', '0 24 * * *', '0 0 0 * *', '0 0 32 * *', '0 0 * 13 *', '0 0 * 0 *', '0 0 * * 8', '*/0 * * * *',
  '1-60 * * * *', '0,70 * * * *', '0 0 * * 1#6', '0 H * * *', '0 0 * * 5L', '0 0 LW * *', '* * *', 'x * * * *',
];

describe('cron rules', () => {
  it('explains what is wrong, field by field', () => {
    expect(cronProblems('0 24 * * *')).toEqual(["'24' is out of range for the hour (0–23)"]);
    expect(cronProblems('*/0 * * * *')).toEqual(["the step '0' in '*/0' must be a whole number of at least 1"]);
    expect(cronProblems('0 0 * 13 *')).toEqual(["'13' is out of range for the month (1–12 or jan–dec)"]);
    expect(cronProblems('0 0 31 2 *')).toEqual(['day 31 never occurs in month 2, so Airflow could never compute a next run']);
    expect(cronProblems('0 0 30,31 2,4 *')).toEqual([]);
  });

  it.skipIf(!existsSync(AIRFLOW_PYTHON))('agrees with croniter, as Airflow runs it, on which expressions parse', () => {
    const script = [
      'import json, sys',
      'from croniter import croniter',
      'ok = {}',
      'for e in json.load(sys.stdin):',
      '    try:',
      '        croniter(e); ok[e] = True',
      '    except Exception:',
      '        ok[e] = False',
      'print(json.dumps(ok))',
    ].join('\n');
    const run = spawnSync(AIRFLOW_PYTHON, ['-c', script], { input: JSON.stringify(EXPRESSIONS), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const croniter = JSON.parse(run.stdout) as Record<string, boolean>;
    const ours = Object.fromEntries(EXPRESSIONS.map((e) => [e, cronProblems(e).length === 0]));
    // croniter parses 3-field and 6-field forms Airflow would schedule oddly; we require five fields.
    const comparable = EXPRESSIONS.filter((e) => e.trim().split(/\s+/).length === 5);
    expect(Object.fromEntries(comparable.map((e) => [e, ours[e]]))).toEqual(Object.fromEntries(comparable.map((e) => [e, croniter[e]])));
  });
});
