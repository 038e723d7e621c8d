/**
 * Who may import whom in src/ (README "What is here"): `make test` runs
 * `npx depcruise src --config .dependency-cruiser.cjs` (the `layers` lane) and fails on any
 * violation; test/unit/architecture/layers.test.ts proves each rule catches a bad import.
 *
 * The layers, bottom up:
 *   runtime, host                 — what everything may use (task runtime, errors, retry; processes, locks, ports)
 *   domain modules                — data training evaluation gates drift registry images ecr k8s notify api-checks
 *   api                           — the prediction service: serving needs only
 *   pipeline contract             — src/pipeline/contract: zod schemas tasks pass to each other, the tasks' environment
 *   tasks                         — one thin script per DAG task
 *   dsl → compiler                — authoring and compiling DAGs
 *   stack, cluster, platform, cli — the local platform (services, Kubernetes, Airflow compose) and the command line
 */
const DOMAIN = '(data|training|evaluation|gates|drift|registry|images|ecr|k8s|notify|api-checks)';

/** `^src/(a|b)/` — a path under one of the given top-level folders. */
const under = (folders) => `^src/(${folders})/`;

/** A forbidden import: `from` may not import `to` (each a dependency-cruiser path condition), for the reason in `comment`. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to });

/** `folder` may import only modules under `allowed` (and outside src/: zod, node:*, packages). */
const onlyImports = (name, comment, folder, allowed) => forbid(name, comment, { path: under(folder) }, { path: '^src/', pathNot: under(allowed) });

module.exports = {
  forbidden: [
    { ...forbid('no-folder-cycles', 'Folders depend on each other in one direction only.', { path: '^src/' }, { circular: true }), scope: 'folder' },
    forbid(
      'no-module-cycles',
      'No module reaches itself through its runtime imports (type-only imports may close a loop).',
      { path: '^src/' },
      { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    ),
    onlyImports('runtime-is-the-floor', 'The task runtime is used by everything and uses nothing of ours.', 'runtime', 'runtime'),
    onlyImports('host-uses-only-runtime', 'Host utilities (processes, locks, ports, mounts, machine cache) know nothing of the pipeline.', 'host', 'host|runtime'),
    onlyImports('dsl-uses-only-runtime', 'The authoring DSL builds a plain IR; it never imports the compiler, tasks or domain code.', 'dsl', 'dsl|runtime'),
    onlyImports('compiler-uses-only-dsl-and-runtime', 'The compiler turns the IR into Python; it knows no task, domain module or platform.', 'compiler', 'compiler|dsl|runtime'),
    forbid('tasks-never-import-tasks', 'A task script imports schemas from src/pipeline/contract, never from another task.', { path: under('tasks') }, { path: under('tasks') }),
    forbid(
      'tasks-use-contract-domain-runtime',
      'Tasks are thin glue: src/pipeline/contract, domain modules, runtime and host; never the DSL, a DAG file, the API, the CLI or the local platform.',
      { path: under('tasks') },
      { path: `${under('dsl|compiler|cli|stack|cluster|platform|api')}|^src/pipeline/.*\\.dag\\.ts$` },
    ),
    forbid(
      'domain-stays-below-the-pipeline',
      'Domain code never imports the DSL, the pipeline, tasks, the compiler, the CLI or the local platform.',
      { path: `^src/${DOMAIN}/` },
      { path: under('dsl|pipeline|tasks|compiler|cli|stack|cluster|platform') },
    ),
    forbid(
      'pipeline-contract-is-plain',
      'The contract (schemas, the tasks environment) is plain: no DSL, no tasks.',
      { path: '^src/pipeline/', pathNot: '\\.dag\\.ts$' },
      { path: under('dsl|compiler|tasks|cli|stack|cluster|platform') },
    ),
    forbid(
      'api-serves-only',
      'The prediction service imports only what serving needs: no Airflow side, no training, no platform.',
      { path: under('api') },
      { path: under('tasks|dsl|pipeline|compiler|cli|stack|cluster|platform|training|gates|registry') },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
