/**
 * `d.trigger`: the IR it produces, the compile-time checks of its conf against the target DAG's
 * params (each at the line of the conf key), and the TriggerDagRunOperator it emits. Its run in
 * Airflow is proved by test/airflow/test_trigger_dag.py.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { compileDag, DagValidationError, type Diagnostic } from '../../../src/compiler/index.ts';
import { dag, param, type Dag, type DagSpec, type TriggerTaskSpec } from '../../../src/dsl/index.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { produce } from '../../fixtures/tasks.ts';
import { lineOf } from '../source-lines.ts';

const FILE = fileURLToPath(import.meta.url);
const base = { schedule: null, startDate: '2024-01-01' } as const;
const cluster = { kind: 'kubernetes', image: 'tasks:1', namespace: 'hp' } as const;

const improvement = dag(
  'improvement',
  {
    ...base,
    maxActiveRuns: 1,
    params: {
      raw_data_uri: param(z.string().default('s3://bucket/raw.csv')),
      rows: param(z.number().int().default(100)),
      thresholds: param(z.array(z.number()).default([])),
      mode: param(z.enum(['fast', 'thorough']).default('fast')),
    },
  },
  (d) => {
    d.empty('start');
  },
);

const compile = (source: Dag | DagSpec, options: { targets?: readonly (Dag | DagSpec)[]; profile?: string } = {}) => {
  const specs = [source, ...(options.targets ?? [improvement])].map((item) => ('spec' in item ? item.spec : item));
  return compileDag(source, {
    root: PROJECT_ROOT,
    profile: options.profile ?? 'local',
    scriptExists: () => true,
    buildDags: new Map(specs.map((spec) => [spec.dagId, spec])),
    readSource: (file) => readFileSync(file, 'utf8'),
  }).contents;
};

function diagnosticsOf(source: Dag | DagSpec, targets?: readonly (Dag | DagSpec)[]): Diagnostic[] {
  try {
    compile(source, targets ? { targets } : {});
    return [];
  } catch (error) {
    if (error instanceof DagValidationError) return [...error.diagnostics];
    throw error;
  }
}

const trigger = (spec: DagSpec, id: string) => spec.tasks.find((task) => task.id === id) as TriggerTaskSpec;

const drift = dag('drift', { ...base, params: { rows: param(z.number().int().default(5)) } }, (d) => {
  const batch = d.task(produce, { id: 'batch' });
  d.trigger(improvement, {
    conf: { raw_data_uri: batch.field('label'), rows: d.params.rows, thresholds: [0.1, 2], mode: 'thorough' },
  });
});

describe('IR', () => {
  it('names the target, keeps each conf binding and depends on the outputs it reads', () => {
    const task = trigger(drift.spec, 'trigger_improvement');
    expect(task).toMatchObject({
      kind: 'trigger',
      targetDagId: 'improvement',
      waitForCompletion: false,
      upstream: ['batch'],
      impliedUpstream: ['batch'],
      conf: {
        raw_data_uri: { from: 'xcom', task: 'batch', path: ['label'] },
        rows: { from: 'param', name: 'rows' },
        thresholds: { from: 'const', value: [0.1, 2] },
        mode: { from: 'const', value: 'thorough' },
      },
    });
    expect(task.targetSource?.file).toBe(FILE);
  });

  it('refuses a target that is not a DAG, and a pokeInterval without waiting', () => {
    expect(() => dag('bad', base, (d) => void d.trigger({} as Dag, {}))).toThrow(/d\.trigger\(\) needs the DAG to start/);
    const polling = dag('polling', base, (d) => {
      d.trigger(improvement, { pokeInterval: { seconds: 10 } });
    });
    expect(polling.spec.problems?.map((p) => p.message)).toEqual([
      `Trigger 'trigger_improvement' option 'pokeInterval' is {"seconds":10}: a trigger only polls while it waits for the run; set waitForCompletion: true, or leave pokeInterval out.`,
    ]);
  });
});

describe('checks', () => {
  it('accepts a conf that fits the target params', () => {
    expect(diagnosticsOf(drift)).toEqual([]);
  });

  it('reports an unknown key and values of the wrong type, each at its conf line', () => {
    const wrong = dag('wrong', { ...base, params: { label: param(z.string().default('x')) } }, (d) => {
      const batch = d.task(produce, { id: 'batch' });
      d.trigger(improvement, {
        id: 'start',
        conf: {
          raw_data_uri: batch.field('count'), // wrong-output
          rows: d.params.label, // wrong-param
          thresholds: [1, 'two'], // wrong-constant
          mode: 'slow', // wrong-enum
          raw_data: 'x', // unknown-key
        } as Record<string, unknown>,
      });
    });
    const found = diagnosticsOf(wrong).map((d) => ({ code: d.code, line: d.location?.line, message: d.message }));
    expect(found).toEqual([
      {
        code: 'trigger-conf',
        line: lineOf(FILE, 'wrong-output'),
        message:
          "Trigger 'start' conf 'raw_data_uri': param 'raw_data_uri' of DAG 'improvement' is string, but task 'batch' field 'count' does not fit: the value is integer, expected string. Change the value or the param's schema.",
      },
      {
        code: 'trigger-conf',
        line: lineOf(FILE, 'wrong-param'),
        message: "Trigger 'start' conf 'rows': param 'rows' of DAG 'improvement' is integer, but param 'label' does not fit: the value is string, expected integer. Change the value or the param's schema.",
      },
      {
        code: 'trigger-conf',
        line: lineOf(FILE, 'wrong-constant'),
        message: `Trigger 'start' conf 'thresholds': param 'thresholds' of DAG 'improvement' is number[], but the constant [1,"two"] does not fit: [] is "two", expected number. Change the value or the param's schema.`,
      },
      {
        code: 'trigger-conf',
        line: lineOf(FILE, 'wrong-enum'),
        message: `Trigger 'start' conf 'mode': param 'mode' of DAG 'improvement' is "fast" | "thorough", but the constant "slow" does not fit: the value is "slow", expected "fast" | "thorough". Change the value or the param's schema.`,
      },
      {
        code: 'trigger-conf',
        line: lineOf(FILE, 'unknown-key'),
        message: "Trigger 'start' conf key 'raw_data' is not a param of DAG 'improvement' (its params: 'raw_data_uri', 'rows', 'thresholds', 'mode'). Remove the key or fix its name.",
      },
    ]);
  });

  it('reports an output field that may be missing, and one that does not exist', () => {
    const optional = dag('optional', base, (d) => {
      const batch = d.task(produce, { id: 'batch' });
      d.trigger(improvement, { conf: { raw_data_uri: batch.field('maybe'), mode: batch.field('nope' as 'label') } as Record<string, unknown> });
    });
    expect(diagnosticsOf(optional).map((d) => d.message)).toEqual([
      "Trigger 'trigger_improvement' conf 'raw_data_uri' reads task 'batch' field 'maybe', which is optional in that task's output, so it may be missing. Make the output field required.",
      "Trigger 'trigger_improvement' conf 'mode' reads task 'batch' field 'nope', but task 'batch' does not output field 'nope' (it outputs: count, label, decision, maybe).",
    ]);
  });

  it('requires the target to be compiled in the same build', () => {
    expect(diagnosticsOf(drift, []).map((d) => [d.code, d.message])).toEqual([
      [
        'trigger-target',
        "Trigger 'trigger_improvement' starts DAG 'improvement', which is not compiled in this build (it compiles: 'drift'). Build its *.dag.ts file with this one: a DAG can only trigger DAGs of the same project.",
      ],
    ]);
  });

  it('requires every target param without a default', () => {
    const strict: DagSpec = {
      ...improvement.spec,
      params: [...improvement.spec.params, { name: 'batch_id', default: undefined, schema: { type: 'string' } }],
    };
    expect(diagnosticsOf(drift, [strict]).map((d) => d.message)).toEqual([
      "Trigger 'trigger_improvement' leaves out param 'batch_id' of DAG 'improvement', which has no default. Give it in conf: { batch_id: … }.",
    ]);
  });
});

describe('Python', () => {
  it('emits a TriggerDagRunOperator whose conf template renders to JSON, for both profiles', () => {
    for (const profile of ['local', 'cluster']) {
      const withCluster = dag('drift', { ...base, profiles: { local: { kind: 'bash' }, cluster } }, (d) => {
        const batch = d.task(produce, { id: 'batch' });
        d.trigger(improvement, { id: 'start', conf: { raw_data_uri: batch.field('label'), thresholds: [0.1, 2], mode: 'thorough' } });
      });
      const text = compile(withCluster, { profile });
      expect(text).toContain('from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator');
      expect(text).toContain(
        [
          '    t_start = TriggerDagRunOperator(',
          "        task_id='start',",
          "        trigger_dag_id='improvement',",
          `        conf='{"mode": "thorough", "raw_data_uri": {{ ti.xcom_pull(task_ids=\\'batch\\')[\\'label\\'] | tojson }}, "thresholds": [0.1,2]}',`,
          '        logical_date=None,',
          '        doc_md=(',
          "            'Starts a run of `improvement` (does not wait for it).\\n'",
        ].join('\n'),
      );
    }
  });

  it('keeps Jinja-looking constants from being rendered, and emits waiting only when asked', () => {
    const text = compile(
      dag('drift', base, (d) => {
        d.trigger(improvement, { conf: { raw_data_uri: 'a{{ b }}{% c %}{# d #}' }, waitForCompletion: true, pokeInterval: { seconds: 30 } });
      }),
    );
    expect(text).toContain(`conf='{"raw_data_uri": "a\\\\u007b{ b }}\\\\u007b% c %}\\\\u007b# d #}"}',`);
    expect(text).toContain('        wait_for_completion=True,\n        poke_interval=30,\n');
  });

  it('emits no conf when none is given', () => {
    const text = compile(dag('drift', base, (d) => void d.trigger(improvement, {})));
    expect(text).not.toContain('conf=');
  });
});
