/**
 * `scheduleEnv`: a DAG option naming an environment variable that, where Airflow parses the DAG
 * file, replaces the compiled schedule. The DSL refuses it without a recurring default; the
 * compiled file's `schedule=` expression is run by Python (the Airflow venv's, with croniter)
 * with the variable unset, blank, valid and invalid.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { CompileError, compileDag } from '../../../src/compiler/index.ts';
import { dag, type DagSpec, type Schedule } from '../../../src/dsl/index.ts';

const PYTHON = process.env.HP_PYTHON ?? path.join(PROJECT_ROOT, '.venv/airflow/bin/python');
const VARIABLE = 'HP_CHECK_SCHEDULE';
const work = mkdtempSync(path.join(tmpdir(), 'hp-schedule-env-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A one-task DAG; `scheduleEnv` null leaves the option out. */
const scheduled = (schedule: Schedule, scheduleEnv: string | null = VARIABLE, doc?: string) =>
  dag('schedule_env_check', { schedule, startDate: '2024-01-01', ...(scheduleEnv === null ? {} : { scheduleEnv }), ...(doc ? { doc } : {}) }, (d) => {
    d.empty('only');
  });

const compile = (target: ReturnType<typeof scheduled> | DagSpec) => compileDag(target, { root: PROJECT_ROOT }).contents;

interface Evaluated {
  readonly schedule?: string;
  readonly error?: string;
}

/**
 * Runs the compiled file's helpers and its `schedule=` expression once per environment value
 * (null: the variable unset), without Airflow: only the module's imports, constants and
 * functions, parsed with Python's ast. A timedelta comes back as `timedelta:<seconds>`.
 */
function scheduleUnder(source: string, values: readonly (string | null)[]): { results: Evaluated[]; docMd: string } {
  const file = path.join(work, `dag-${Math.random().toString(16).slice(2)}.py`);
  writeFileSync(file, source);
  const program = [
    'import ast, datetime, json, os, sys',
    'tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())',
    'helpers = [node for node in tree.body if isinstance(node, (ast.Import, ast.FunctionDef, ast.Assign))]',
    'namespace = {}',
    'exec(compile(ast.Module(body=helpers, type_ignores=[]), sys.argv[1], "exec"), namespace)',
    'call = next(node.items[0].context_expr for node in tree.body if isinstance(node, ast.With))',
    'kwargs = {k.arg: k.value for k in call.keywords}',
    'expression = compile(ast.Expression(kwargs["schedule"]), "schedule", "eval")',
    'results = []',
    'for value in json.loads(sys.argv[2]):',
    `    os.environ.pop(${JSON.stringify(VARIABLE)}, None)`,
    '    if value is not None:',
    `        os.environ[${JSON.stringify(VARIABLE)}] = value`,
    '    try:',
    '        schedule = eval(expression, namespace)',
    '        results.append({"schedule": f"timedelta:{int(schedule.total_seconds())}" if isinstance(schedule, datetime.timedelta) else schedule})',
    '    except ValueError as error:',
    '        results.append({"error": str(error)})',
    'sys.stdout.write(json.dumps({"results": results, "docMd": ast.literal_eval(kwargs["doc_md"])}))',
  ].join('\n');
  if (!existsSync(PYTHON)) throw new Error(`Python not found at ${PYTHON}: run \`make setup\` (or set HP_PYTHON)`);
  const run = spawnSync(PYTHON, ['-I', '-c', program, file, JSON.stringify(values)], { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`python exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as { results: Evaluated[]; docMd: string };
}

describe('the DSL', () => {
  it('keeps the default schedule and records the variable in the IR', () => {
    const { spec } = scheduled('0 */3  * * *');
    expect(spec.schedule).toEqual({ kind: 'cron', value: '0 */3 * * *' });
    expect(spec.scheduleEnv).toBe(VARIABLE);
    expect(spec.problems).toBeUndefined();
    expect(scheduled({ every: { hours: 3 } }).spec.problems).toBeUndefined();
    expect(scheduled('@daily').spec.problems).toBeUndefined();
    expect(scheduled('@daily', null).spec.scheduleEnv).toBeUndefined();
  });

  it('refuses a variable name no environment can hold', () => {
    const problems = scheduled('@daily', 'DRIFT-SCHEDULE').spec.problems ?? [];
    expect(problems.map((p) => [p.optionPath, p.message])).toEqual([
      [['scheduleEnv'], `DAG 'schedule_env_check' option 'scheduleEnv' is 'DRIFT-SCHEDULE'; it must be an environment variable name: a letter or "_" followed by letters, digits or "_", e.g. 'HP_DRIFT_SCHEDULE'.`],
    ]);
    expect(scheduled('@daily', '').spec.problems).toHaveLength(1);
  });

  it.each([
    [null, 'a DAG without a schedule runs only when triggered'],
    ['@once', "an '@once' DAG runs a single time"],
    ['@continuous', "a '@continuous' DAG starts a run as soon as the last one ends"],
  ] as const)('refuses to override schedule %s, saying why', (schedule, why) => {
    const problems = (schedule === '@continuous'
      ? dag('schedule_env_check', { schedule, startDate: '2024-01-01', maxActiveRuns: 1, scheduleEnv: VARIABLE }, (d) => void d.empty('only'))
      : scheduled(schedule)
    ).spec.problems ?? [];
    expect(problems).toHaveLength(1);
    expect(problems[0]!.optionPath).toEqual(['scheduleEnv']);
    expect(problems[0]!.message).toContain(`option 'scheduleEnv' would replace schedule ${schedule === null ? 'null' : `'${schedule}'`}, but ${why}`);
    expect(problems[0]!.message).toMatch(/Give the DAG a recurring default schedule for the variable to override .*, or leave scheduleEnv out\.$/);
  });

  it('reports a mistaken schedule once, not again as a missing default', () => {
    const problems = scheduled('@dialy').spec.problems ?? [];
    expect(problems.map((p) => p.optionPath)).toEqual([['schedule']]);
  });
});

describe('the compiled DAG file', () => {
  it('calls _schedule_from_env with the variable and the compiled default, and imports os for it', () => {
    const cron = compile(scheduled('0 */3 * * *'));
    expect(cron).toContain(`    schedule=_schedule_from_env('${VARIABLE}', '0 */3 * * *'),\n`);
    expect(cron).toMatch(/^import os$/m);
    expect(cron).toContain("_SCHEDULE_PRESETS = ['@hourly', '@daily', '@weekly', '@monthly', '@quarterly', '@yearly']");
    expect(compile(scheduled({ every: { hours: 3 } }))).toContain(`    schedule=_schedule_from_env('${VARIABLE}', datetime.timedelta(seconds=10800)),\n`);
    expect(compile(scheduled('0 */3 * * *'))).toBe(cron);
  });

  it('is unchanged without the option: a plain schedule, no helper, no os import', () => {
    const plain = compile(scheduled('0 */3 * * *', null));
    expect(plain).toContain("    schedule='0 */3 * * *',\n");
    expect(plain).not.toContain('_schedule_from_env');
    expect(plain).not.toMatch(/^import os$/m);
  });

  it('refuses an IR whose variable has no recurring schedule to replace', () => {
    const spec: DagSpec = { ...scheduled('@daily').spec, schedule: { kind: 'none' } };
    expect(() => compile(spec)).toThrow(CompileError);
    expect(() => compile({ ...spec, schedule: { kind: 'preset', value: '@once' } })).toThrow(/has scheduleEnv 'HP_CHECK_SCHEDULE' but no recurring schedule/);
  });

  it('gives Airflow the default when the variable is unset or blank, else its value (a cron or a recurring preset)', () => {
    const { results } = scheduleUnder(compile(scheduled('0 */3 * * *')), [null, '', '  \t', '0 6 * * *', '  15   */2 * * mon-fri ', '@daily', '0 0 L * *']);
    expect(results).toEqual([
      { schedule: '0 */3 * * *' },
      { schedule: '0 */3 * * *' },
      { schedule: '0 */3 * * *' },
      { schedule: '0 6 * * *' },
      { schedule: '15 */2 * * mon-fri' },
      { schedule: '@daily' },
      { schedule: '0 0 L * *' },
    ]);
    const interval = scheduleUnder(compile(scheduled({ every: { hours: 3 } })), [null, '@hourly']).results;
    expect(interval).toEqual([{ schedule: 'timedelta:10800' }, { schedule: '@hourly' }]);
  });

  it('fails the import with a ValueError naming the variable, its value and why', () => {
    const bad = ['@dialy', '@once', '@continuous', '* * * *', '61 * * * *', '0 0 31 2 *', "0 0 * * '"];
    const { results } = scheduleUnder(compile(scheduled('0 */3 * * *')), bad);
    results.forEach((result, index) => {
      expect(result.schedule, bad[index]).toBeUndefined();
      expect(result.error, bad[index]).toMatch(new RegExp(`^${VARIABLE} = .+ is not a schedule Airflow accepts: .+\\. Set a cron expression such as '0 \\*/3 \\* \\* \\*' or a preset, or unset it for the default\\.$`));
    });
    expect(results[0]!.error).toContain(`${VARIABLE} = '@dialy' is not a schedule Airflow accepts: the presets are @hourly, @daily, @weekly, @monthly, @quarterly, @yearly.`);
    expect(results[1]!.error).toContain('the presets are @hourly');
    expect(results[3]!.error).toContain('a cron expression has five fields (minute hour day-of-month month day-of-week), this one has 4');
    expect(results[4]!.error).toContain("'61 * * * *' is not a schedule Airflow accepts: [61 * * * *] is not acceptable, out of range");
    expect(results[5]!.error).toContain("'0 0 31 2 *' is not a schedule Airflow accepts: failed to find next date");
    expect(results[6]!.error).toContain(`${VARIABLE} = "0 0 * * '" is not a schedule`);
  });

  it('says in the DAG docs which variable overrides the schedule and what the default is', () => {
    const { docMd } = scheduleUnder(compile(scheduled('0 */3 * * *', VARIABLE, "Measures drift; it's \"quoted\".")), []);
    expect(docMd.startsWith(`Measures drift; it's "quoted".\n\n**Schedule:** \`0 */3 * * *\` by default.`)).toBe(true);
    expect(docMd).toContain(`set the environment variable\n\`${VARIABLE}\` where Airflow parses DAG files (the DAG processor)`);
    expect(docMd).toContain('unset or blank keeps the default');
    expect(scheduleUnder(compile(scheduled({ every: { days: 1, minutes: 30 } })), []).docMd).toMatch(/^\*\*Schedule:\*\* every 1 day 30 minutes by default\./);
  });
});
