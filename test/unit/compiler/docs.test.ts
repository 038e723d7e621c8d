/**
 * doc_md from the sources: the DAG file's leading doc comment, each task script's doc comment
 * (an explicit DSL `doc` wins), the generated inputs/outputs tables, and the Python literal that
 * carries them, read back by Python's own parser.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { docCommentText } from '../../../src/compiler/doc-comments.ts';
import { compileDag, DocComments } from '../../../src/compiler/index.ts';
import { dag, param, type Dag } from '../../../src/dsl/index.ts';
import { consumeCount, produce } from '../../fixtures/tasks.ts';

const HERE = fileURLToPath(import.meta.url);
const FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/tasks.ts');
const PYTHON = process.env.HP_PYTHON ?? path.join(PROJECT_ROOT, '.venv/airflow/bin/python');
const base = { schedule: null, startDate: '2024-01-01' } as const;
const work = mkdtempSync(path.join(tmpdir(), 'hp-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Quotes, backslashes and triple quotes of both kinds: each must reach doc_md unchanged. */
const TRICKY = `it's "quoted" \\ back \\n ''' """ {{ ti }} café`;

const fromFiles =
  (files: Record<string, string>) =>
  (file: string): string | undefined =>
    files[file];

/** test/fixtures/tasks.ts with a one-line doc comment on the blank line above `produce` (lines stay put). */
function fixturesWithProduceDoc(doc: string): string {
  const lines = readFileSync(FIXTURES, 'utf8').split('\n');
  const at = lines.findIndex((line) => line.startsWith('export const produce = defineTask('));
  expect(lines[at - 1]).toBe('');
  lines[at - 1] = `/** ${doc} */`;
  return lines.join('\n');
}

/** doc_md of the DAG (key '') and of every task, as Python reads the generated file. */
function docsInPython(source: string): Record<string, string> {
  const file = path.join(work, `dag-${Math.random().toString(16).slice(2)}.py`);
  writeFileSync(file, source);
  const program = [
    'import ast, json, sys',
    'docs = {}',
    'for node in ast.walk(ast.parse(open(sys.argv[1], encoding="utf-8").read())):',
    '    if isinstance(node, ast.Call):',
    '        kw = {k.arg: k.value for k in node.keywords}',
    '        if "doc_md" in kw:',
    '            key = ast.literal_eval(kw["task_id"]) if "task_id" in kw else ""',
    '            docs[key] = ast.literal_eval(kw["doc_md"])',
    'sys.stdout.write(json.dumps(docs))',
  ].join('\n');
  if (!existsSync(PYTHON)) throw new Error(`Python not found at ${PYTHON}: run \`make setup\` (or set HP_PYTHON)`);
  const run = spawnSync(PYTHON, ['-I', '-c', program, file], { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`python exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, string>;
}

function compileWith(target: Dag, files: Record<string, string>): string {
  return compileDag(target, { root: PROJECT_ROOT, scriptExists: () => true, docComments: new DocComments(fromFiles(files)) }).contents;
}

const pipeline = (options: { doc?: string; produceDoc?: string }) =>
  dag(
    'documented',
    { ...base, ...(options.doc ? { doc: options.doc } : {}), params: { n: param(z.number().int().default(3)), channels: param(z.array(z.enum(['log', 'email'])).default(['log'])) } },
    (d) => {
      const source = d.task(produce, options.produceDoc ? { doc: options.produceDoc } : {});
      d.task(consumeCount, { inputs: { count: source.field('count') } });
      d.task(consumeCount, { id: 'from_param', inputs: { count: d.params.n } });
      d.task(consumeCount, { id: 'from_constant', inputs: { count: 7 } });
      d.empty('done', { after: [source], doc: 'Marks the end.' });
    },
  );

describe('docCommentText', () => {
  it('drops the delimiters and each line’s leading star, keeping Markdown indentation', () => {
    expect(docCommentText('/**\n * Title line\n *\n *   - nested item\n * `code`\n */')).toBe('Title line\n\n  - nested item\n`code`');
    expect(docCommentText('/** one line */')).toBe('one line');
  });

  it('reads only doc comments with text', () => {
    expect(docCommentText('/* a plain comment */')).toBeUndefined();
    expect(docCommentText('/** */')).toBeUndefined();
    expect(docCommentText('// line')).toBeUndefined();
  });
});

describe('DocComments', () => {
  const comments = new DocComments(
    fromFiles({
      '/dags/a.dag.ts': "/**\n * The DAG.\n */\nimport x from './x.ts';\n\nexport default x;\n",
      '/dags/plain.dag.ts': "// not a doc comment\n/** nor is this the first comment */\nimport x from './x.ts';\n",
      '/tasks/t.ts': "import { defineTask } from 'r';\n\n/** Old note. */\n/**\n * Does the thing.\n */\nexport default defineTask({\n  id: 't',\n});\n",
      '/tasks/bare.ts': "import { defineTask } from 'r';\n\nexport default defineTask({ id: 'bare' });\n",
    }),
  );

  it('reads a DAG file’s leading doc comment, and nothing when the file opens otherwise or is missing', () => {
    expect(comments.fileDoc('/dags/a.dag.ts')).toBe('The DAG.');
    expect(comments.fileDoc('/dags/plain.dag.ts')).toBeUndefined();
    expect(comments.fileDoc('/dags/missing.dag.ts')).toBeUndefined();
  });

  it('reads the doc comment right above the statement holding a location', () => {
    expect(comments.declarationDoc({ file: '/tasks/t.ts', line: 7, column: 16 })).toBe('Does the thing.');
    expect(comments.declarationDoc({ file: '/tasks/t.ts', line: 8, column: 3 })).toBe('Does the thing.');
    expect(comments.declarationDoc({ file: '/tasks/bare.ts', line: 3, column: 16 })).toBeUndefined();
    expect(comments.declarationDoc({ file: '/tasks/t.ts', line: 1, column: 1 })).toBeUndefined();
  });
});

describe('doc_md in the compiled DAG', () => {
  const files = { [HERE]: `/**\n * The documented DAG: ${TRICKY}\n *\n * - a list item\n */\n`, [FIXTURES]: fixturesWithProduceDoc(`Produces a count. ${TRICKY}`) };

  it('takes the DAG file’s and the task script’s doc comments, escaped so Python reads them back unchanged', () => {
    const docs = docsInPython(compileWith(pipeline({}), files));
    expect(docs['']).toBe(`The documented DAG: ${TRICKY}\n\n- a list item`);
    expect(docs.produce!.startsWith(`Produces a count. ${TRICKY}\n\n**Inputs:** none.\n\n**Output** (the XCom \`return_value\`)\n`)).toBe(true);
    expect(docs.produce).toContain('| `decision` | one of `"DEPLOY"`, `"SKIP"` |');
    expect(docs.produce).toContain('| `maybe` | string (optional) |');
    expect(docs.done).toBe('Marks the end.');
  });

  it('gives a script without a doc comment the generated inputs and outputs: upstream output, param, constant', () => {
    const docs = docsInPython(compileWith(pipeline({}), files));
    const outputs = '**Output** (the XCom `return_value`)\n\n| field | type |\n| --- | --- |\n| `ok` | boolean |';
    const inputs = (from: string) => `**Inputs**\n\n| field | from |\n| --- | --- |\n| \`count\` | ${from} |\n\n${outputs}`;
    expect(docs.consume_count).toBe(inputs("field `count` of `produce`'s output"));
    expect(docs.from_param).toBe(inputs('param `n`'));
    expect(docs.from_constant).toBe(inputs('constant `7`'));
  });

  it('lets an explicit doc win over the doc comments, for the DAG and for a task', () => {
    const docs = docsInPython(compileWith(pipeline({ doc: 'Explicit DAG doc.', produceDoc: "Explicit task doc with ''' too." }), files));
    expect(docs['']).toBe('Explicit DAG doc.');
    expect(docs.produce!.startsWith("Explicit task doc with ''' too.\n\n**Inputs:** none.")).toBe(true);
  });

  it('is the same text on every compile', () => {
    expect(compileWith(pipeline({}), files)).toBe(compileWith(pipeline({}), files));
  });

  it('leaves doc_md to the DSL and the generated tables when no doc comments are given', () => {
    const docs = docsInPython(compileDag(pipeline({}), { root: PROJECT_ROOT, scriptExists: () => true }).contents);
    expect(docs['']).toBeUndefined();
    expect(docs.produce!.startsWith('**Inputs:** none.')).toBe(true);
  });
});

describe('the trigger form', () => {
  it('offers the allowed values of an enum array as examples and keeps items.enum for validation', () => {
    const python = compileWith(pipeline({}), {});
    expect(python).toContain("'channels': Param(['log'], **{'type': 'array', 'items': {'type': 'string', 'enum': ['log', 'email']}, 'examples': ['log', 'email']})");
    expect(python).toContain("'n': Param(3, **{'type': 'integer'})");
  });
});
