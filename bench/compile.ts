/**
 * Compile time of the example DAG and parse time of its generated file, each beside a
 * baseline measured in the same run. Prints one JSON object.
 *   parse_ms        = `python file.py` − bare interpreter (`python -c pass`), medians
 *   own_parse_ms    = `python file.py` − a file holding only the same imports
 *   docs_load_ms    = loading ts-morph for the doc comments (once per build)
 *   first_compile_ms = the first compile, which parses the DAG file and its task scripts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDags } from '../src/cli/load-dags.ts';
import { PROJECT_ROOT, taskScripts } from '../src/cli/project.ts';
import { compileDag, DocComments } from '../src/compiler/index.ts';
import { tempDir } from '../src/host/cleanup.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PYTHON = path.join(PROJECT_ROOT, '.venv/airflow/bin/python');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number) => Math.round(value * 100) / 100;

const exampleFile = path.join(PROJECT_ROOT, 'examples/branching-example.dag.ts');
const loadStart = performance.now();
const dag = (await loadDags([exampleFile]))[0]!.dag;
const loadMs = performance.now() - loadStart;
const scripts = taskScripts(PROJECT_ROOT);
// One per build, as `dag build` does: creating it loads ts-morph, the first compile parses the
// sources (the DAG file and its task scripts), later ones reuse them.
const docsStart = performance.now();
const docComments = new DocComments((file) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined));
const docsLoadMs = performance.now() - docsStart;
const firstStart = performance.now();
const compile = () => compileDag(dag, { root: PROJECT_ROOT, scriptExists: (s) => scripts.has(s), docComments });
compile();
const firstCompileMs = performance.now() - firstStart;
const compileTimes = Array.from({ length: RUNS * 3 }, () => {
  const start = performance.now();
  compile();
  return performance.now() - start;
});

const work = tempDir('hp-bench-').path;
const generated = compile().contents;
const dagFile = path.join(work, 'dag.py');
writeFileSync(dagFile, generated);
const importsFile = path.join(work, 'imports_only.py');
writeFileSync(importsFile, generated.split('\n').filter((line) => /^(from|import) /.test(line)).join('\n') + '\n');
const env = { ...process.env, AIRFLOW_HOME: path.join(work, 'airflow-home'), AIRFLOW__CORE__LOAD_EXAMPLES: 'False' };
const time = (args: string[]) => {
  const start = performance.now();
  const result = spawnSync(PYTHON, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - start;
};
time([dagFile]); // warm the OS cache and create AIRFLOW_HOME once
const bare: number[] = [];
const importsOnly: number[] = [];
const file: number[] = [];
for (let i = 0; i < RUNS; i += 1) {
  bare.push(time(['-c', 'pass']));
  importsOnly.push(time([importsFile]));
  file.push(time([dagFile]));
}

console.log(
  JSON.stringify({
    benchmark: 'compile',
    dag_id: dag.dagId,
    tasks: dag.spec.tasks.length,
    runs: RUNS,
    dsl_load_ms: round(loadMs),
    docs_load_ms: round(docsLoadMs),
    first_compile_ms: round(firstCompileMs),
    compile_ms_median: round(median(compileTimes)),
    python_bare_ms_median: round(median(bare)),
    python_imports_only_ms_median: round(median(importsOnly)),
    python_file_ms_median: round(median(file)),
    parse_ms: round(median(file) - median(bare)),
    own_parse_ms: round(median(file) - median(importsOnly)),
    generated_bytes: Buffer.byteLength(generated),
    generated_lines: readFileSync(dagFile, 'utf8').split('\n').length,
  }),
);
