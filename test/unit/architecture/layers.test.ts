/**
 * The layering check (`.dependency-cruiser.cjs`, run by `make test`) catches each kind of bad
 * import: the project's own config runs the real depcruise CLI over a small tree laid out like
 * src/, once clean and once per deliberately bad import.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';

const CONFIG = path.join(REPO_ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(REPO_ROOT, 'node_modules/.bin/depcruise');

/** A tree that keeps every rule: each module imports only what its layer may. */
const CLEAN: Record<string, string> = {
  'src/runtime/index.ts': 'export const runtime = 1;\n',
  'src/host/ports.ts': "import { runtime } from '../runtime/index.ts';\nexport const port = runtime;\n",
  'src/data/read.ts': "import { port } from '../host/ports.ts';\nexport const rows = port;\n",
  'src/gates/decide.ts': "import { rows } from '../data/read.ts';\nexport const decision = rows;\n",
  'src/pipeline/contract.ts': 'export const schema = 1;\n',
  'src/pipeline/improvement.dag.ts': "import { dag } from '../dsl/index.ts';\nexport default dag;\n",
  'src/tasks/decide.ts': "import { schema } from '../pipeline/contract.ts';\nimport { decision } from '../gates/decide.ts';\nexport default schema + decision;\n",
  'src/tasks/report.ts': "import { schema } from '../pipeline/contract.ts';\nexport default schema;\n",
  'src/dsl/index.ts': "import { runtime } from '../runtime/index.ts';\nexport const dag = runtime;\n",
  'src/compiler/index.ts': "import { dag } from '../dsl/index.ts';\nexport const compile = dag;\n",
  'src/api/server.ts': "import { rows } from '../data/read.ts';\nexport const serve = rows;\n",
};

/** One deliberately bad import per case, added to the clean tree, and the rule that must name it. */
const BAD_IMPORTS: { name: string; rule: string; files: Record<string, string> }[] = [
  { name: 'a task imports another task', rule: 'tasks-never-import-tasks', files: { 'src/tasks/report.ts': "import decide from './decide.ts';\nexport default decide;\n" } },
  { name: 'a task imports the DSL', rule: 'tasks-use-contract-domain-runtime', files: { 'src/tasks/report.ts': "import { dag } from '../dsl/index.ts';\nexport default dag;\n" } },
  { name: 'a task imports a DAG file', rule: 'tasks-use-contract-domain-runtime', files: { 'src/tasks/report.ts': "import dag from '../pipeline/improvement.dag.ts';\nexport default dag;\n" } },
  { name: 'domain code imports the pipeline', rule: 'domain-stays-below-the-pipeline', files: { 'src/data/read.ts': "import { schema } from '../pipeline/contract.ts';\nexport const rows = schema;\n" } },
  { name: 'domain code imports the DSL', rule: 'domain-stays-below-the-pipeline', files: { 'src/gates/decide.ts': "import { dag } from '../dsl/index.ts';\nexport const decision = dag;\n" } },
  {
    name: 'domain code imports the local Airflow platform',
    rule: 'domain-stays-below-the-pipeline',
    files: { 'src/platform/compose.ts': 'export const compose = 1;\n', 'src/data/read.ts': "import { compose } from '../platform/compose.ts';\nexport const rows = compose;\n" },
  },
  { name: 'the contract imports the DSL', rule: 'pipeline-contract-is-plain', files: { 'src/pipeline/contract.ts': "import { dag } from '../dsl/index.ts';\nexport const schema = dag;\n" } },
  { name: 'the DSL imports the compiler', rule: 'dsl-uses-only-runtime', files: { 'src/dsl/index.ts': "import { compile } from '../compiler/index.ts';\nexport const dag = 1;\nexport const again = compile;\n" } },
  { name: 'the API imports a task', rule: 'api-serves-only', files: { 'src/api/server.ts': "import decide from '../tasks/decide.ts';\nexport const serve = decide;\n" } },
  { name: 'host imports domain code', rule: 'host-uses-only-runtime', files: { 'src/host/ports.ts': "import { rows } from '../data/read.ts';\nexport const port = rows;\n" } },
  { name: 'two domain folders import each other', rule: 'no-folder-cycles', files: { 'src/data/verdict.ts': "import { decision } from '../gates/decide.ts';\nexport const verdict = decision;\n" } },
];

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** Runs the real check over a tree of `files`; returns its exit status and report. */
function cruise(files: Record<string, string>): { status: number; report: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hp-layers-'));
  roots.push(root);
  writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  try {
    const report = execFileSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    return { status: 0, report };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { status: failed.status, report: `${failed.stdout}${failed.stderr}` };
  }
}

describe('the layering check', () => {
  it('passes a tree where every layer imports only what it may', () => {
    const { status, report } = cruise(CLEAN);
    expect(report).not.toContain('error');
    expect(status).toBe(0);
  });

  it.each(BAD_IMPORTS)('fails when $name ($rule)', ({ rule, files }) => {
    const { status, report } = cruise({ ...CLEAN, ...files });
    expect(status).not.toBe(0);
    expect(report).toContain(`error ${rule}:`);
  });
});
