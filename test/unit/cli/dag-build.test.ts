/** `dag build --check`: the codegen-in-CI gate. Runs the real CLI where it matters. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findStale, planBuild, writeBuild } from '../../../src/cli/commands/dag-build.ts';
import { GENERATED_DAGS_DIR, PROJECT_ROOT } from '../../../src/cli/project.ts';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/health-predict.mjs'), ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });

describe('dag build --check', () => {
  it('passes on the committed tree', () => {
    const result = cli('dag', 'build', '--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/generated DAG file\(s\) are current/);
  });

  it('fails and shows a diff when a generated file was edited', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'hp-check-'));
    cpSync(path.join(PROJECT_ROOT, GENERATED_DAGS_DIR), out, { recursive: true });
    const file = path.join(out, 'health_predict_example.py');
    writeFileSync(file, readFileSync(file, 'utf8').replace("max_active_runs=1,", 'max_active_runs=5,'));
    const result = cli('dag', 'build', '--check', '--out', out);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('health_predict_example.py (changed)');
    expect(result.stderr).toContain('-     max_active_runs=5,');
    expect(result.stderr).toContain('+     max_active_runs=1,');
    expect(result.stderr).toContain('Run `health-predict dag build`');
  });

  it('fails when a DAG source changed without rebuilding, and names a removed DAG', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'hp-src-'));
    const source = path.join(work, 'tiny.dag.ts');
    const dsl = path.join(PROJECT_ROOT, 'src/dsl/index.ts');
    writeFileSync(
      source,
      `import { dag } from ${JSON.stringify(dsl)};\nexport default dag('tiny_dag', { schedule: null, startDate: '2024-01-01', defaultArgs: { retries: 1 } }, (d) => { d.empty('only'); });\n`,
    );
    const out = path.join(work, 'out');
    writeBuild(await planBuild({ root: PROJECT_ROOT, outDir: out, profile: 'local', sources: [source] }), out);
    expect(findStale(await planBuild({ root: PROJECT_ROOT, outDir: out, profile: 'local', sources: [source] }), out)).toEqual([]);

    // Same DAG id, changed option: the file is stale.
    const changed = source.replace('tiny.dag.ts', 'tiny2.dag.ts');
    writeFileSync(changed, readFileSync(source, 'utf8').replace('retries: 1', 'retries: 4'));
    const stale = findStale(await planBuild({ root: PROJECT_ROOT, outDir: out, profile: 'local', sources: [changed] }), out);
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ name: 'tiny_dag.py', reason: 'changed' });
    expect(stale[0]!.diff).toContain("+     default_args={'retries': 4},");

    // A renamed DAG leaves an orphan behind and the new file missing (new file name: ESM caches modules).
    const renamedSource = source.replace('tiny.dag.ts', 'tiny3.dag.ts');
    writeFileSync(renamedSource, readFileSync(source, 'utf8').replace("'tiny_dag'", "'tiny_changed'"));
    const renamed = findStale(await planBuild({ root: PROJECT_ROOT, outDir: out, profile: 'local', sources: [renamedSource] }), out);
    expect(renamed.map((s) => `${s.name}:${s.reason}`).sort()).toEqual(['tiny_changed.py:missing', 'tiny_dag.py:orphan']);
  });
});

describe('dag graph and inspect', () => {
  it('prints Mermaid with branch outcomes and groups', () => {
    const result = cli('dag', 'graph', 'health_predict_example');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^flowchart LR\n/);
    expect(result.stdout).toContain('n_route_branch{"route_branch"}');
    expect(result.stdout).toContain('n_route_branch -- "fast" --> n_fast_path');
    expect(result.stdout).not.toContain('n_prepare_batch --> n_fast_path'); // ordered through the branch already
    expect(result.stdout).toContain('subgraph n_group_report["report"]');
  });

  it('prints the IR as JSON, and names known DAGs for an unknown id', () => {
    const ir = JSON.parse(cli('dag', 'inspect', 'health_predict_example').stdout);
    expect(ir.tasks.map((t: { id: string }) => t.id)).toContain('report.summarise');
    const unknown = cli('dag', 'inspect', 'nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("No DAG 'nope'. Known DAGs: health_predict_continuous_improvement, health_predict_drift_monitoring, health_predict_example, health_predict_rollback.");
  });
});
