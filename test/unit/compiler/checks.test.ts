/** One test per compile-time check: each asserts the rule, the tasks named, and the file:line. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileDag, DagValidationError, type Diagnostic } from '../../../src/compiler/index.ts';
import { dag, param, DagDefinitionError, type BranchTask, type Dag, type DagSpec, type Scope } from '../../../src/dsl/index.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { consumeCount, consumeLabel, noInput, onFailureHandler, produce } from '../../fixtures/tasks.ts';
import { lineOf } from '../source-lines.ts';

const FILE = fileURLToPath(import.meta.url);
const REL = 'test/unit/compiler/checks.test.ts';
const base = { schedule: null, startDate: '2024-01-01' } as const;

function diagnosticsOf(target: Dag | DagSpec, scriptExists: (script: string) => boolean = () => true): Diagnostic[] {
  try {
    compileDag(target, { root: PROJECT_ROOT, scriptExists, taskDirs: ['src/tasks', 'examples/tasks'] });
    return [];
  } catch (error) {
    if (error instanceof DagValidationError) return [...error.diagnostics];
    throw error;
  }
}

function only(diagnostics: Diagnostic[], code: Diagnostic['code']): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  expect(found, JSON.stringify(diagnostics, null, 2)).toHaveLength(1);
  return found[0]!;
}

function expectAt(diagnostic: Diagnostic, marker: string): void {
  expect(diagnostic.location?.file).toBe(FILE);
  expect(diagnostic.location?.line).toBe(lineOf(FILE, marker));
}

function messageOf(target: Dag | DagSpec, scriptExists?: (script: string) => boolean): string {
  try {
    compileDag(target, { root: PROJECT_ROOT, scriptExists: scriptExists ?? (() => true) });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the compile to fail');
}

/** A spec with one field replaced: for rules the DSL cannot break by construction. */
function withTasks(spec: DagSpec, edit: (tasks: DagSpec['tasks']) => DagSpec['tasks']): DagSpec {
  return { ...spec, tasks: edit(spec.tasks) };
}

describe('graph checks', () => {
  it('reports a cycle with the tasks in flow order', () => {
    const cyclic = dag('cyclic', base, (d) => {
      const a = d.empty('a'); // @cycle-a
      const b = d.empty('b', { after: [a] });
      a.after(b);
    });
    const diagnostic = only(diagnosticsOf(cyclic), 'cycle');
    expect(diagnostic.message).toBe("Tasks form a cycle: 'a' → 'b' → 'a'. Airflow DAGs must be acyclic; remove one of these dependencies.");
    expectAt(diagnostic, '@cycle-a');
  });

  it('reports a duplicate task id, and a task id equal to a group id', () => {
    const dup = dag('dup', base, (d) => {
      d.empty('same');
      d.empty('same'); // @dup-second
      d.group('report', {}, (g) => g.empty('inner'));
      d.empty('report'); // @dup-group
    });
    const diagnostics = diagnosticsOf(dup).filter((d) => d.code === 'duplicate-id');
    expect(diagnostics).toHaveLength(2);
    expect(diagnostics[0]!.message).toContain("task id 'same' is already used by a task");
    expectAt(diagnostics[0]!, '@dup-second');
    expect(diagnostics[1]!.message).toContain("task id 'report' is already used by a task group");
    expectAt(diagnostics[1]!, '@dup-group');
  });

  it('allows the same local id in two groups (ids differ after prefixing)', () => {
    const ok = dag('prefixed', base, (d) => {
      d.group('one', {}, (g) => g.empty('x'));
      d.group('two', {}, (g) => g.empty('x'));
    });
    expect(diagnosticsOf(ok)).toEqual([]);
    expect(ok.spec.tasks.map((t) => t.id)).toEqual(['one.x', 'two.x']);
  });

  it('reports a dangling reference in the IR', () => {
    const spec = dag('dangling', base, (d) => {
      d.empty('lonely'); // @dangling
    }).spec;
    const broken = withTasks(spec, (tasks) => tasks.map((t) => ({ ...t, upstream: ['ghost'] })));
    const diagnostic = only(diagnosticsOf(broken), 'dangling-reference');
    expect(diagnostic.message).toBe("Task 'lonely' depends on 'ghost', which is not a task of DAG 'dangling'. Declare it in this DAG or drop the dependency.");
    expectAt(diagnostic, '@dangling');
  });

  it('rejects a task of another DAG at construction, pointing at the line', () => {
    const other = dag('other', base, (d) => void d.empty('elsewhere'));
    let foreign: unknown;
    dag('holder', base, (d) => {
      foreign = d.empty('mine');
    });
    expect(() =>
      dag('user', base, (d) => {
        d.empty('x', { after: [foreign as never] }); // @foreign
      }),
    ).toThrow(new RegExp(`${REL}:${lineOf(FILE, '@foreign')}: Task 'x' refers to a task of DAG 'holder'`));
    expect(other.spec.tasks).toHaveLength(1);
  });

  it('rejects ids that break Airflow rules: at construction, and in the IR after prefixing', () => {
    expect(only(diagnosticsOf(dag('ids', base, (d) => void d.empty('bad id!'))), 'invalid-id').message).toBe(
      `Task id 'bad id!' breaks Airflow's id rule: only ASCII letters, digits, "_" and "-" (dots separate groups). Rename it.`,
    );
    expect(only(diagnosticsOf(dag('bad dag', base, (d) => void d.empty('x'))), 'invalid-id').message).toContain(`DAG id 'bad dag' breaks Airflow's id rule`);
    expect(only(diagnosticsOf(dag('ids', base, (d) => void d.empty('dеploy'))), 'invalid-id').message).toContain(`it contains the non-ASCII character 'е' (U+0435)`);
    const long = 'g'.repeat(200);
    const deep = dag('deep', base, (d) => {
      d.group(long, {}, (g) => g.empty('t'.repeat(60))); // @too-long
    });
    const diagnostic = only(diagnosticsOf(deep), 'invalid-id');
    expect(diagnostic.message).toContain('is 261 characters with its group prefix; Airflow allows 250');
    expectAt(diagnostic, '@too-long');
  });
});

describe('branch checks', () => {
  /** DAG `id`: a task's decision (DEPLOY or SKIP) picks the path at branch 'decide'; `downstream` declares what follows. */
  const decideThen = (id: string, downstream: (d: Scope, decide: BranchTask<'DEPLOY' | 'SKIP'>) => void) =>
    dag(id, base, (d) => {
      const source = d.task(produce, {});
      downstream(d, d.branch('decide', { on: source.field('decision') }));
    });

  const branching = (joinRule?: 'none_failed_min_one_success') =>
    decideThen('branching', (d, decide) => {
      const deploy = d.empty('deploy', { after: [decide.when('DEPLOY')] });
      const skip = d.empty('skip', { after: [decide.when('SKIP')] });
      d.empty('end', { after: [deploy, skip], ...(joinRule ? { triggerRule: joinRule } : {}) }); // @join
    });

  it('accepts a join with none_failed_min_one_success', () => {
    expect(diagnosticsOf(branching('none_failed_min_one_success'))).toEqual([]);
  });

  it('reports a join after a branch whose trigger rule would skip it', () => {
    const diagnostic = only(diagnosticsOf(branching()), 'join-trigger-rule');
    expect(diagnostic.message).toContain("Task 'end' joins the paths of branch 'decide' but has trigger rule 'all_success'");
    expect(diagnostic.message).toMatch(/for outcome '(DEPLOY|SKIP)' its upstream '(skip|deploy)' is skipped/);
    expect(diagnostic.message).toContain("triggerRule: 'none_failed_min_one_success'");
    expectAt(diagnostic, '@join');
  });

  it('reports a branch target that is not directly downstream', () => {
    const spec = branching('none_failed_min_one_success').spec;
    const broken = withTasks(spec, (tasks) => tasks.map((t) => (t.id === 'deploy' ? { ...t, upstream: [] } : t)));
    const diagnostics = diagnosticsOf(broken);
    const diagnostic = only(diagnostics, 'branch-target-not-downstream');
    expect(diagnostic.message).toContain("Branch 'decide' follows 'deploy' for outcome 'DEPLOY', but 'deploy' is not directly downstream of it");
    expect(diagnostic.location?.file).toBe(FILE);
  });

  it('reports a task downstream of a branch that no outcome follows', () => {
    const stray = decideThen('stray', (d, decide) => {
      d.empty('deploy', { after: [decide.when('DEPLOY')] });
      d.empty('skip', { after: [decide.when('SKIP')] });
      d.empty('never', { after: [decide] }); // @never
    });
    const diagnostic = only(diagnosticsOf(stray), 'unreachable-task');
    expect(diagnostic.message).toContain("Task 'never' is directly downstream of branch 'decide' but no outcome follows it");
    expectAt(diagnostic, '@never');
  });

  it('reports a task skipped for every outcome', () => {
    const stuck = decideThen('stuck', (d, decide) => {
      const deploy = d.empty('deploy', { after: [decide.when('DEPLOY')] });
      const skip = d.empty('skip', { after: [decide.when('SKIP')] });
      d.empty('both', { after: [deploy, skip], triggerRule: 'all_skipped' }); // @both
    });
    const diagnostic = only(diagnosticsOf(stuck), 'unreachable-task');
    expect(diagnostic.message).toContain("Task 'both' is skipped for every outcome of branch 'decide' ('DEPLOY', 'SKIP')");
    expectAt(diagnostic, '@both');
  });

  it('reports a task that follows an outcome but waits for a task skipped on it; a tolerant trigger rule fixes it', () => {
    const mixed = (triggerRule?: 'none_failed_min_one_success') =>
      decideThen('mixed', (d, decide) => {
        const skip = d.empty('skip', { after: [decide.when('SKIP')] });
        d.empty('deploy', { after: [decide.when('DEPLOY'), skip], ...(triggerRule ? { triggerRule } : {}) }); // @mixed
      });
    const diagnostic = only(diagnosticsOf(mixed()), 'unreachable-task');
    expect(diagnostic.message).toBe(
      "Task 'deploy' follows outcome 'DEPLOY' of branch 'decide', but for that outcome its upstream 'skip' is skipped, so with trigger rule 'all_success' it never runs when it should. Drop the dependency on 'skip', or follow the outcomes they run for.",
    );
    expectAt(diagnostic, '@mixed');
    expect(diagnosticsOf(mixed('none_failed_min_one_success'))).toEqual([]);
  });

  it('reports a DAG without tasks', () => {
    expect(only(diagnosticsOf(dag('hollow', base, () => {})), 'empty-dag').message).toBe(
      "DAG 'hollow' declares no tasks, so every run would do nothing. Declare at least one task in its callback (d.task, d.branch, d.empty).",
    );
  });

  it('reports a decision value with no path', () => {
    const partial = dag('partial', base, (d) => {
      const source = d.task(produce, {});
      const decide = d.branch('decide', { on: source.field('decision') }); // @partial
      d.empty('deploy', { after: [decide.when('DEPLOY')] });
    });
    const diagnostic = only(diagnosticsOf(partial), 'branch-outcome-unmapped');
    expect(diagnostic.message).toContain("Branch 'decide' has no path for outcome 'SKIP'");
    expectAt(diagnostic, '@partial');
  });

  it('branches on a param enum', () => {
    const byParam = dag('by_param', { ...base, params: { route: param(z.enum(['a', 'b']).default('a')) } }, (d) => {
      const decide = d.branch('decide', { on: d.params.route });
      d.empty('a', { after: [decide.when('a')] });
      d.empty('b', { after: [decide.when('b')] });
    });
    expect(diagnosticsOf(byParam)).toEqual([]);
    const branch = byParam.spec.tasks.find((t) => t.kind === 'branch');
    expect(branch).toMatchObject({ on: { from: 'param', name: 'route' }, choices: ['a', 'b'], paths: { a: ['a'], b: ['b'] } });
  });
});

describe('contract checks', () => {
  /** `target`'s one xcom-contract diagnostic: at the line marked `marker`, saying `message`. */
  function expectContractDiagnostic(target: Dag | DagSpec, marker: string, message: string): void {
    const diagnostic = only(diagnosticsOf(target), 'xcom-contract');
    expect(diagnostic.message).toBe(message);
    expectAt(diagnostic, marker);
  }

  it('reports a missing output field, naming both tasks', () => {
    const spec = dag('missing_field', base, (d) => {
      const source = d.task(produce, {});
      d.task(consumeCount, { inputs: { count: source.field('count') } }); // @missing-field
    }).spec;
    const broken = withTasks(spec, (tasks) =>
      tasks.map((t) => (t.kind === 'node' && t.id === 'consume_count' ? { ...t, bindings: { count: { from: 'xcom', task: 'produce', path: ['total'] } } } : t)),
    );
    expectContractDiagnostic(broken, '@missing-field',
      "Task 'consume_count' input 'count' reads task 'produce' field 'total', but task 'produce' does not output field 'total' (it outputs: count, label, decision, maybe).",
    );
  });

  it('reports a type mismatch between an output field and an input', () => {
    const mismatched = dag('mismatch', base, (d) => {
      const source = d.task(produce, {});
      // @ts-expect-error a string output bound to a number input also fails tsc
      d.task(consumeCount, { inputs: { count: source.field('label') } }); // @mismatch
    });
    expectContractDiagnostic(mismatched, '@mismatch',
      "Task 'consume_count' input 'count' expects number, but task 'produce' field 'label' does not fit: the value is string, expected number. Change the binding or one of the two schemas.",
    );
  });

  it('reports an optional output bound to a required input', () => {
    const optional = dag('optional', base, (d) => {
      const source = d.task(produce, {});
      d.task(consumeLabel, { inputs: { label: source.field('maybe') as never } }); // @optional
    });
    expectContractDiagnostic(optional, '@optional',
      "Task 'consume_label' input 'label' is required, but task 'produce' field 'maybe' is optional in that task's output, so it may be missing. Make the output field required, or the input optional.",
    );
  });

  it('reports a required input that nothing provides', () => {
    const unbound = dag('unbound', base, (d) => {
      const source = d.task(produce, {});
      d.task(consumeCount, { after: [source] } as never); // @unbound
    });
    expectContractDiagnostic(unbound, '@unbound',
      "Task 'consume_count' input 'count' (number) is required but nothing provides it (its upstream: 'produce'). Bind it: inputs: { count: <task>.field('…') | d.params.… | a constant }.",
    );
  });

  it('accepts params and constants that fit, and rejects a constant that does not', () => {
    const fits = dag('fits', { ...base, params: { n: param(z.number().int().default(3)) } }, (d) => {
      d.task(consumeCount, { id: 'from_param', inputs: { count: d.params.n } });
      d.task(consumeCount, { id: 'from_const', inputs: { count: 7 } });
    });
    expect(diagnosticsOf(fits)).toEqual([]);
    const wrong = dag('wrong_const', base, (d) => {
      d.task(consumeCount, { inputs: { count: 'seven' as never } }); // @const
    });
    const diagnostic = only(diagnosticsOf(wrong), 'xcom-contract');
    expect(diagnostic.message).toContain('but the constant "seven" does not fit: the value is "seven", expected number');
    expectAt(diagnostic, '@const');
  });

  it('binding an upstream output adds the dependency', () => {
    const wired = dag('wired', base, (d) => {
      const source = d.task(produce, {});
      d.task(consumeCount, { inputs: { count: source.field('count') } });
    });
    expect(wired.spec.tasks[1]!.upstream).toEqual(['produce']);
  });
});

describe('script and profile checks', () => {
  it('reports a task whose script has no file in the task folders', () => {
    const missing = dag('missing_script', base, (d) => {
      d.task(noInput, {});
    });
    const diagnostic = only(diagnosticsOf(missing, (script) => script !== 'no-input'), 'missing-script');
    expect(diagnostic.message).toBe(
      "Task 'no_input' runs script 'no-input', but no src/tasks/no-input.ts or examples/tasks/no-input.ts exists, so it cannot be bundled. Move its defineTask() into a file of that name.",
    );
    expect(diagnostic.location?.file).toMatch(/test\/fixtures\/tasks\.ts$/);
  });

  it('reports an unknown profile', () => {
    const plain = dag('plain', base, (d) => void d.task(noInput, {}));
    expect(() => compileDag(plain, { root: PROJECT_ROOT, profile: 'cluster' })).toThrow(/DAG 'plain' has no profile 'cluster' \(it declares: local\)/);
  });

  it('lists every problem at once, each with its file:line', () => {
    const many = dag('many', base, (d) => {
      d.empty('twice');
      d.empty('twice');
      d.task(consumeCount, {} as never);
    });
    const message = messageOf(many);
    expect(message).toMatch(/^DAG 'many' has 2 problems:/);
    expect(message).toContain(`${REL}:`);
    expect(message).toContain('[duplicate-id]');
    expect(message).toContain('[xcom-contract]');
  });
});

describe('failure handler', () => {
  const withParam = { ...base, params: { channels: param(z.array(z.string()).default(['log'])), label: param(z.string().default('x')) } };

  it('compiles to an on_failure_callback in default_args that runs the script with params', () => {
    const handled = dag('handled', withParam, (d) => {
      d.task(noInput, {});
      d.onFailure(onFailureHandler, { inputs: { channels: d.params.channels } });
    });
    const { contents: python } = compileDag(handled, { root: PROJECT_ROOT, scriptExists: () => true });
    expect(python).toContain("default_args={'on_failure_callback': _on_task_failure},");
    expect(python).toContain('def _on_task_failure(context):');
    expect(python).toContain(`'HP_INPUT': json.dumps({**{'channels': context["params"].get('channels')}, 'failure': failure}),`);
    expect(python).toContain(`os.path.join(TASKS_DIR, 'on-failure-handler' + ".mjs")`);
  });

  it('reports a handler whose script is missing, or whose inputs do not fit', () => {
    const bad = dag('bad_handler', withParam, (d) => {
      d.task(noInput, {});
      d.onFailure(onFailureHandler, { inputs: { channels: d.params.label } as never }); // @bad-handler
    });
    const diagnostics = diagnosticsOf(bad, (script) => script !== 'on-failure-handler');
    expect(only(diagnostics, 'missing-script').message).toMatch(/^The failure handler runs script 'on-failure-handler', but no src\/tasks\/on-failure-handler.ts/);
    const contract = only(diagnostics, 'xcom-contract');
    expect(contract.message).toMatch(/^Failure handler 'on-failure-handler' input 'channels' expects string\[\], but param 'label' does not fit/);
    expectAt(contract, '@bad-handler');
  });

  it('rejects a script without a failure input, XCom inputs, a second handler and a handler in a group', () => {
    expect(messageOf(dag('no_failure_input', base, (d) => void d.onFailure(noInput)))).toMatch(/must take input 'failure' of type taskFailureSchema/);
    const attempts: Array<[string, (d: any) => void, RegExp]> = [
      ['xcom', (d) => d.onFailure(onFailureHandler, { inputs: { channels: d.task(produce, {}).field('label') } }), /cannot pull XCom; bind a param or a constant/],
      ['twice', (d) => { d.onFailure(onFailureHandler, { inputs: { channels: [] } }); d.onFailure(onFailureHandler, { inputs: { channels: [] } }); }, /already has a failure handler/],
      ['group', (d) => d.group('g', {}, (g: any) => g.onFailure(onFailureHandler, { inputs: { channels: [] } })), /not inside group 'g'/],
    ];
    for (const [name, declare, message] of attempts) {
      expect(() => dag(`handler_${name}`, base, declare), name).toThrow(DagDefinitionError);
      expect(() => dag(`handler_${name}`, base, declare), name).toThrow(message);
    }
  });
});

describe('option validation while declaring', () => {
  it('collects an unknown option key with a did-you-mean, at the declaring line', () => {
    const typo = dag('typo', base, (d) => {
      d.empty('x', { retires: 3 } as never); // @typo
    });
    const diagnostic = only(diagnosticsOf(typo), 'invalid-option');
    expect(diagnostic.message).toBe("Task 'x' has an unknown option 'retires'. Did you mean 'retries'?");
    expectAt(diagnostic, '@typo');
  });

  it('collects a bad cron and a misspelt DAG option together, without a spurious schedule complaint', () => {
    const cron = dag('cron', { ...base, schedule: '61 * *' }, (d) => void d.empty('x'));
    expect(only(diagnosticsOf(cron), 'invalid-option').message).toBe(
      "DAG 'cron' option 'schedule' is '61 * *', which Airflow's cron parser refuses: a cron schedule has five space-separated fields (minute hour day-of-month month day-of-week), this one has 3.",
    );
    const { schedule: _schedule, ...noSchedule } = base;
    const misspelt = dag('opts', { ...noSchedule, shedule: '@daily', maxActiveRuns: 0 } as never, (d) => void d.empty('x'));
    const messages = diagnosticsOf(misspelt).map((d) => d.message);
    expect(messages).toEqual(["DAG 'opts' has an unknown option 'shedule'. Did you mean 'schedule'?", "DAG 'opts' option 'maxActiveRuns' is 0, but must be > 0."]);
  });

  it('points an option problem at the option line when the source can be read', () => {
    const nested = dag(
      'nested',
      {
        ...base,
        defaultArgs: {
          executionTimeout: { seconds: 0 }, // @zero-timeout
        },
      },
      (d) => void d.empty('x'),
    );
    let diagnostics: readonly Diagnostic[] = [];
    try {
      compileDag(nested, { root: PROJECT_ROOT, readSource: (file) => readFileSync(file, 'utf8') });
    } catch (error) {
      diagnostics = (error as DagValidationError).diagnostics;
    }
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toMatch(/^DAG 'nested' option 'defaultArgs.executionTimeout' is \{"seconds":0\}: it must be longer than zero/);
    expectAt(diagnostics[0]!, '@zero-timeout');
  });
});
