/**
 * Examples are the golden tests: each examples/*.dag.ts must compile to exactly the committed
 * generated/dags/<dag_id>.py (local profile) and test/golden/<dag_id>.<profile>.py (other
 * profiles). Regenerate with `health-predict dag build` and `UPDATE_GOLDEN=1 npx vitest run`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDags } from '../../../src/cli/load-dags.ts';
import { GENERATED_DAGS_DIR, PROJECT_ROOT, listFiles, taskScripts } from '../../../src/cli/project.ts';
import { compileDag, DocComments, HASH_LINE_PREFIX } from '../../../src/compiler/index.ts';

const examples = listFiles(PROJECT_ROOT, ['examples'], '.dag.ts');
const loaded = await loadDags(examples);
const scripts = taskScripts(PROJECT_ROOT);
const docComments = new DocComments((file) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined));
const compile = (dag: (typeof loaded)[number]['dag'], profile: string) =>
  compileDag(dag, { root: PROJECT_ROOT, profile, scriptExists: (s) => scripts.has(s), docComments });

describe.each(loaded.map(({ file, dag }) => ({ name: path.basename(file), dag })))('$name', ({ dag }) => {
  it('compiles to the committed generated/dags file', () => {
    const compiled = compile(dag, 'local');
    const golden = path.join(PROJECT_ROOT, GENERATED_DAGS_DIR, compiled.fileName);
    expect(existsSync(golden), `${golden} is missing: run health-predict dag build`).toBe(true);
    expect(compiled.contents).toBe(readFileSync(golden, 'utf8'));
  });

  for (const profile of Object.keys(dag.spec.profiles).filter((p) => p !== 'local')) {
    it(`compiles the '${profile}' profile to its golden file`, () => {
      const compiled = compile(dag, profile);
      const golden = path.join(PROJECT_ROOT, 'test/golden', `${dag.dagId}.${profile}.py`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(path.dirname(golden), { recursive: true });
        writeFileSync(golden, compiled.contents);
      }
      expect(compiled.contents).toBe(readFileSync(golden, 'utf8'));
    });
  }

  it('is deterministic and stamps the hash of its body', () => {
    const first = compile(dag, 'local').contents;
    expect(compile(dag, 'local').contents).toBe(first);
    const lines = first.split('\n');
    const hashLine = lines.findIndex((line) => line.startsWith(HASH_LINE_PREFIX));
    const body = lines.slice(hashLine + 1).join('\n');
    expect(lines[hashLine]).toBe(`${HASH_LINE_PREFIX}${createHash('sha256').update(body).digest('hex')}`);
    expect(first).toContain(`# Source: ${path.relative(PROJECT_ROOT, dag.spec.source!.file)}`);
  });
});

it('finds the examples', () => {
  expect(loaded.map((l) => l.dag.dagId)).toContain('health_predict_example');
});
