/**
 * Who may import whom in src/ (README "What is here"): `make test` runs
 * `npx depcruise src --config .dependency-cruiser.cjs` (the `layers` lane) and fails on any
 * violation; test/unit/architecture/layers.test.ts proves each rule catches a bad import.
 *
 * The layers, bottom up:
 *   runtime, host                 — what everything may use (task runtime, errors, retry; processes, locks, ports)
 *   domain modules                — data training evaluation gates registry images ecr k8s notify api-checks
 *   api                           — the prediction service: serving needs only
 *   pipeline contract             — src/pipeline/contract: zod schemas tasks pass to each other, the tasks' environment
 *   tasks                         — one thin script per DAG task
 *   dsl → compiler                — authoring and compiling DAGs
 *   stack, cluster, cli           — the local platform and the command line
 */
const DOMAIN = '(data|training|evaluation|gates|registry|images|ecr|k8s|notify|api-checks)';

/** `^src/(a|b)/` — a path under one of the given top-level folders. */
const under = (folders) => `^src/(${folders})/`;

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders depend on each other in one direction only.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      comment: 'No module reaches itself through its runtime imports (type-only imports may close a loop).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'runtime-is-the-floor',
      comment: 'The task runtime is used by everything and uses nothing of ours.',
      severity: 'error',
      from: { path: under('runtime') },
      to: { path: '^src/', pathNot: under('runtime') },
    },
    {
      name: 'host-uses-only-runtime',
      comment: 'Host utilities (processes, locks, ports, mounts, machine cache) know nothing of the pipeline.',
      severity: 'error',
      from: { path: under('host') },
      to: { path: '^src/', pathNot: under('host|runtime') },
    },
    {
      name: 'dsl-uses-only-runtime',
      comment: 'The authoring DSL builds a plain IR; it never imports the compiler, tasks or domain code.',
      severity: 'error',
      from: { path: under('dsl') },
      to: { path: '^src/', pathNot: under('dsl|runtime') },
    },
    {
      name: 'compiler-uses-only-dsl-and-runtime',
      comment: 'The compiler turns the IR into Python; it knows no task, domain module or platform.',
      severity: 'error',
      from: { path: under('compiler') },
      to: { path: '^src/', pathNot: under('compiler|dsl|runtime') },
    },
    {
      name: 'tasks-never-import-tasks',
      comment: 'A task script imports schemas from src/pipeline/contract, never from another task.',
      severity: 'error',
      from: { path: under('tasks') },
      to: { path: under('tasks') },
    },
    {
      name: 'tasks-use-contract-domain-runtime',
      comment: 'Tasks are thin glue: src/pipeline/contract, domain modules, runtime and host; never the DSL, a DAG file, the API, the CLI or the local platform.',
      severity: 'error',
      from: { path: under('tasks') },
      to: { path: `${under('dsl|compiler|cli|stack|cluster|api')}|^src/pipeline/.*\\.dag\\.ts$` },
    },
    {
      name: 'domain-stays-below-the-pipeline',
      comment: 'Domain code never imports the DSL, the pipeline, tasks, the compiler, the CLI or the local platform.',
      severity: 'error',
      from: { path: `^src/${DOMAIN}/` },
      to: { path: under('dsl|pipeline|tasks|compiler|cli|stack|cluster') },
    },
    {
      name: 'pipeline-contract-is-plain',
      comment: 'The contract (schemas, the tasks environment) is plain: no DSL, no tasks.',
      severity: 'error',
      from: { path: '^src/pipeline/', pathNot: '\\.dag\\.ts$' },
      to: { path: under('dsl|compiler|tasks|cli|stack|cluster') },
    },
    {
      name: 'api-serves-only',
      comment: 'The prediction service imports only what serving needs: no Airflow side, no training, no platform.',
      severity: 'error',
      from: { path: under('api') },
      to: { path: under('tasks|dsl|pipeline|compiler|cli|stack|cluster|training|gates|registry') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
