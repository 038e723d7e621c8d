/**
 * `skipUnlessSucceeded`: the IR it produces, the compile-time rules (each at its file:line), and
 * the Python it emits. Its behaviour in Airflow is proved by test/airflow/test_skip_unless_succeeded.py.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileDag, DagValidationError, type Diagnostic } from '../../../src/compiler/index.ts';
import { dag, type Dag, type DagSpec, type TaskSpec } from '../../../src/dsl/index.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { noInput, produce } from '../../fixtures/tasks.ts';
import { lineOf } from '../source-lines.ts';

const FILE = fileURLToPath(import.meta.url);
const base = { schedule: null, startDate: '2024-01-01' } as const;
const cluster = { kind: 'kubernetes', image: 'tasks:1', namespace: 'hp' } as const;
const PYTHON = process.env.HP_PYTHON ?? path.join(PROJECT_ROOT, '.venv/airflow/bin/python');

/** promote → deploy → rollback (one_failed, guarded by promote), promote inside group 'release'. */
const guarded = (skipUnlessSucceeded = true) =>
  dag('guarded', { ...base, profiles: { local: { kind: 'bash' }, cluster } }, (d) => {
    const { tasks: promote } = d.group('release', {}, (g) => g.task(produce, { id: 'promote' }));
    const deploy = d.task(noInput, { id: 'deploy', after: [promote] });
    d.task(noInput, { id: 'rollback', after: [deploy], triggerRule: 'one_failed', ...(skipUnlessSucceeded ? { skipUnlessSucceeded: [promote] } : {}) });
  });

const task = (spec: DagSpec, id: string): TaskSpec => spec.tasks.find((t) => t.id === id)!;
const compile = (target: Dag | DagSpec, profile = 'local') => compileDag(target, { root: PROJECT_ROOT, profile, scriptExists: () => true }).contents;

function diagnosticsOf(target: Dag | DagSpec): Diagnostic[] {
  try {
    compile(target);
    return [];
  } catch (error) {
    if (error instanceof DagValidationError) return [...error.diagnostics];
    throw error;
  }
}

/** The spec with `rollback`'s list replaced: for lists the DSL refuses before they reach the IR. */
const withList = (list: readonly string[]): DagSpec => {
  const spec = guarded().spec;
  return { ...spec, tasks: spec.tasks.map((t) => (t.id === 'rollback' ? { ...t, skipUnlessSucceeded: list } : t)) };
};

describe('IR', () => {
  it('carries the full ids of the listed tasks, and nothing when the option is not used', () => {
    expect(task(guarded().spec, 'rollback').skipUnlessSucceeded).toEqual(['release.promote']);
    expect('skipUnlessSucceeded' in task(guarded(false).spec, 'rollback')).toBe(false);
    expect('skipUnlessSucceeded' in task(guarded().spec, 'deploy')).toBe(false);
  });

  it('records option mistakes at declaration: empty, duplicates, and what is not a task', () => {
    const broken = dag('broken', base, (d) => {
      const first = d.task(produce, { id: 'first' });
      const { group } = d.group('stage', { after: [first] }, (g) => g.empty('inner'));
      d.task(noInput, { id: 'none', after: [first], skipUnlessSucceeded: [] });
      d.task(noInput, { id: 'twice', after: [first], skipUnlessSucceeded: [first, first] });
      d.task(noInput, { id: 'grouped', after: [group], skipUnlessSucceeded: [group as never] });
      d.task(noInput, { id: 'scalar', after: [first], skipUnlessSucceeded: 'first' as never });
    });
    expect(broken.spec.problems?.map((p) => [p.taskId, p.optionPath, p.message])).toEqual([
      ['none', ['skipUnlessSucceeded'], "Task 'none' option 'skipUnlessSucceeded' is an empty list; name at least one task, or leave the option out."],
      ['twice', ['skipUnlessSucceeded', 1], "Task 'twice' option 'skipUnlessSucceeded[1]' is task 'first' again; list each task once."],
      ['grouped', ['skipUnlessSucceeded', 0], "Task 'grouped' option 'skipUnlessSucceeded[0]' is task group 'stage'; list the tasks of the group that must have succeeded."],
      ['scalar', ['skipUnlessSucceeded'], "Task 'scalar' option 'skipUnlessSucceeded' is 'first'; it takes a list of tasks, e.g. skipUnlessSucceeded: [promote]."],
    ]);
    expect(diagnosticsOf(broken).map((d) => d.code)).toEqual(['invalid-option', 'invalid-option', 'invalid-option', 'invalid-option']);
  });

  it('rejects a task of another DAG at construction', () => {
    let foreign: unknown;
    dag('holder', base, (d) => {
      foreign = d.task(produce, {});
    });
    expect(() => dag('user', base, (d) => void d.task(noInput, { skipUnlessSucceeded: [foreign as never] }))).toThrow(/Task 'no_input' refers to a task of DAG 'holder'/);
  });
});

describe('compile-time checks', () => {
  it('accepts a listed task that is upstream through other tasks', () => {
    expect(diagnosticsOf(guarded())).toEqual([]);
  });

  it('reports a listed task that is not upstream, at the task', () => {
    const sideways = dag('sideways', base, (d) => {
      const promote = d.task(produce, { id: 'promote' });
      const deploy = d.task(noInput, { id: 'deploy' });
      d.task(noInput, { id: 'rollback', after: [deploy], triggerRule: 'one_failed', skipUnlessSucceeded: [promote] }); // @not-upstream
    });
    const [diagnostic, ...rest] = diagnosticsOf(sideways);
    expect(rest).toEqual([]);
    expect(diagnostic).toMatchObject({ code: 'skip-unless-succeeded', taskId: 'rollback', optionPath: ['skipUnlessSucceeded', 0] });
    expect(diagnostic!.message).toBe(
      "Task 'rollback' lists 'promote' in skipUnlessSucceeded, but 'promote' is not upstream of it, so its state may not be final when 'rollback' is about to run. Make 'rollback' depend on it (after: [promote]) or drop it from the list.",
    );
    expect(diagnostic!.location).toMatchObject({ file: FILE, line: lineOf(FILE, '@not-upstream') });
  });

  it('reports a downstream task as not upstream', () => {
    const backwards = dag('backwards', base, (d) => {
      const rollback = d.task(noInput, { id: 'rollback' });
      d.task(noInput, { id: 'later', after: [rollback] });
    }).spec;
    const spec = { ...backwards, tasks: backwards.tasks.map((t) => (t.id === 'rollback' ? { ...t, skipUnlessSucceeded: ['later'] } : t)) };
    expect(diagnosticsOf(spec).map((d) => [d.code, d.message.split(',')[0]])).toEqual([['skip-unless-succeeded', "Task 'rollback' lists 'later' in skipUnlessSucceeded"]]);
  });

  it('checks lists the DSL cannot produce: itself, unknown, duplicate, empty', () => {
    const codes = (list: string[]) => diagnosticsOf(withList(list)).map((d) => [d.code, d.optionPath, d.message]);
    expect(codes(['rollback'])).toEqual([
      ['skip-unless-succeeded', ['skipUnlessSucceeded', 0], "Task 'rollback' lists itself in skipUnlessSucceeded; its own state is not final while it runs. List the upstream tasks whose success it needs."],
    ]);
    expect(codes(['ghost'])).toEqual([
      ['dangling-reference', ['skipUnlessSucceeded', 0], "Task 'rollback' lists 'ghost' in skipUnlessSucceeded, which is not a task of DAG 'guarded'. Declare it in this DAG or drop it from the list."],
    ]);
    expect(codes(['release.promote', 'deploy', 'release.promote'])).toEqual([
      ['skip-unless-succeeded', ['skipUnlessSucceeded', 2], "Task 'rollback' lists 'release.promote' in skipUnlessSucceeded twice. List each task once."],
    ]);
    expect(codes([])).toEqual([['skip-unless-succeeded', ['skipUnlessSucceeded'], "Task 'rollback' has an empty skipUnlessSucceeded list. Name at least one task, or leave the option out."]]);
  });

  it('refuses it on an EmptyOperator, which Airflow marks success without running', () => {
    const spec = dag('empty_guard', base, (d) => {
      const first = d.task(produce, { id: 'first' });
      d.empty('cleanup', { after: [first], triggerRule: 'all_done', ...({ skipUnlessSucceeded: [first] } as object) });
    });
    expect(diagnosticsOf(spec).map((d) => [d.code, d.taskId])).toEqual([['skip-unless-succeeded', 'cleanup']]);
  });

  it('counts a guard on a skipped branch path as a skip when checking joins', () => {
    const joined = (guard: boolean) =>
      dag('joined', base, (d) => {
        const source = d.task(produce, {});
        const decide = d.branch('decide', { on: source.field('decision') });
        const deploy = d.task(noInput, { id: 'deploy', after: [decide.when('DEPLOY')] });
        const skip = d.task(noInput, { id: 'skip', after: [decide.when('SKIP')] });
        const join = d.empty('join', { after: [deploy, skip], triggerRule: 'none_failed_min_one_success' });
        // Its trigger rule fires on either path, but the guard skips it on the SKIP path.
        const report = d.task(noInput, { id: 'report', after: [deploy, skip], triggerRule: 'none_failed_min_one_success', ...(guard ? { skipUnlessSucceeded: [deploy] } : {}) });
        d.task(noInput, { id: 'after_report', after: [report, join] });
      });
    expect(diagnosticsOf(joined(false))).toEqual([]);
    const [diagnostic, ...rest] = diagnosticsOf(joined(true));
    expect(rest).toEqual([]);
    expect(diagnostic).toMatchObject({ code: 'join-trigger-rule', taskId: 'after_report' });
    expect(diagnostic!.message).toContain("for outcome 'SKIP' its upstream 'report' is skipped");
  });
});

describe('emitted Python', () => {
  it('gives the guarded task a pre_execute hook over the full ids, and emits the helper once', () => {
    const python = compile(guarded());
    expect(python).toContain("        pre_execute=_skip_unless_succeeded(('release.promote',)),\n");
    expect(python.match(/pre_execute=/g)).toHaveLength(1);
    expect(python.match(/^def _skip_unless_succeeded\(task_ids\):$/gm)).toHaveLength(1);
    expect(python).toContain('from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException\n');
    expect(python).toContain('ti.get_task_states(dag_id=ti.dag_id, task_ids=list(task_ids), run_ids=[ti.run_id])');
    expect(python).toContain('": nothing of this run to act on"');
  });

  it('emits the same hook for the KubernetesPodOperator', () => {
    const python = compile(guarded(), 'cluster');
    const rollback = python.slice(python.indexOf('t_rollback = NodeTaskPodOperator('));
    expect(rollback).toContain("pre_execute=_skip_unless_succeeded(('release.promote',)),");
    expect(python).toContain('AirflowSkipException');
  });

  it('emits neither the helper nor its import when no task uses the option', () => {
    const python = compile(guarded(false));
    expect(python).not.toContain('_skip_unless_succeeded');
    expect(python).not.toContain('AirflowSkipException');
  });

  it('quotes every listed id as a Python string, and compiles as Python', () => {
    const spec = withList(['release.promote', 'deploy']);
    const python = compile(spec);
    expect(python).toContain("pre_execute=_skip_unless_succeeded(('release.promote', 'deploy',)),");
    if (!existsSync(PYTHON)) throw new Error(`Python not found at ${PYTHON}: run \`make setup\` (or set HP_PYTHON)`);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hp-skip-guard-')), 'guarded.py');
    writeFileSync(file, python);
    const check = spawnSync(PYTHON, ['-I', '-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });
});
