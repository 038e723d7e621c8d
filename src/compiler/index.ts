/**
 * The compiler's facade: IR → validate → Python. Pure: returns strings; the CLI does the I/O.
 */
import path from 'node:path';
import type { Dag } from '../dsl/dag.ts';
import type { DagSpec, DockerSocketSpec } from '../dsl/spec.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { CompileError, DagValidationError, type Diagnostic } from './diagnostics.ts';
import type { DocComments } from './doc-comments.ts';
import { renderPython } from './emit/python.ts';
import { buildView } from './emit/view.ts';
import { OptionLocator, type ReadSource } from './locate-option.ts';
import { validate } from './validate.ts';

export { CompileError, DagValidationError, formatDiagnostic, type CheckCode, type Diagnostic } from './diagnostics.ts';
export { validate } from './validate.ts';
export { HASH_LINE_PREFIX } from './emit/python.ts';
export { DocComments } from './doc-comments.ts';

export const COMPILER = `health-predict ${packageJson.version}`;
export const TASKS_DIR_ENV = 'HEALTH_PREDICT_TASKS_DIR';

export interface CompileOptions {
  /** Project root: diagnostics and the header show paths relative to it. */
  readonly root: string;
  /** Which of the DAG's profiles runs Node tasks that name no runner. Default: 'local'. */
  readonly profile?: string;
  /**
   * The deployment's values for the profile's Kubernetes runner, replacing the DAG's own: the task
   * image (a digest or tag in the cluster's registry), the namespace, and pods on the node's network
   * (a cluster whose pods reach the platform on the node's loopback, such as `health-predict cluster`).
   */
  readonly pod?: PodOverrides;
  /** Fixed bundle directory baked into the DAG (an Airflow image); default: the checkout's dist/tasks. */
  readonly tasksDir?: string;
  readonly scriptExists?: (script: string) => boolean;
  readonly taskDirs?: readonly string[];
  /** Every DAG compiled in this build, by id: the DAGs a trigger may start. */
  readonly buildDags?: ReadonlyMap<string, DagSpec>;
  /** Reads a DAG source, so option problems can point at the option's own line (else: the call's). */
  readonly readSource?: ReadSource;
  /**
   * The doc comments of the DAG file and its task scripts (one instance per build), for the
   * DAG's and tasks' doc_md; without it only the DSL's `doc` and the generated input/output
   * tables appear.
   */
  readonly docComments?: DocComments;
}

export interface PodOverrides {
  readonly image?: string;
  readonly namespace?: string;
  readonly hostNetwork?: boolean;
  /** The node's Docker daemon for the tasks that declare `pod: { docker: true }`. */
  readonly dockerSocket?: DockerSocketSpec;
}

/** The DAG with its Kubernetes profile runner's image, namespace, network and Docker socket replaced by the deployment's. */
function withPodOverrides(spec: DagSpec, profile: string, pod: PodOverrides | undefined): DagSpec {
  const runner = spec.profiles[profile];
  if (!pod || runner?.kind !== 'kubernetes') return spec;
  const overridden = {
    ...runner,
    ...(pod.image ? { image: pod.image } : {}),
    ...(pod.namespace ? { namespace: pod.namespace } : {}),
    ...(pod.hostNetwork !== undefined ? { hostNetwork: pod.hostNetwork } : {}),
    ...(pod.dockerSocket ? { dockerSocket: pod.dockerSocket } : {}),
  };
  return { ...spec, profiles: { ...spec.profiles, [profile]: overridden } };
}

export interface CompiledDag {
  readonly dagId: string;
  /** File name inside the output directory. */
  readonly fileName: string;
  readonly contents: string;
}

function atOptionLines(diagnostics: readonly Diagnostic[], readSource: ReadSource | undefined): Diagnostic[] {
  if (!readSource) return [...diagnostics];
  const locator = new OptionLocator(readSource);
  const located = diagnostics.map((d) => (d.optionPath && d.location ? { ...d, location: locator.locate(d.location, d.optionPath) } : d));
  return located.sort((a, b) => (a.location?.file ?? '').localeCompare(b.location?.file ?? '') || (a.location?.line ?? 0) - (b.location?.line ?? 0));
}

export function compileDag(dag: Dag | DagSpec, options: CompileOptions): CompiledDag {
  const profile = options.profile ?? 'local';
  const spec = withPodOverrides('spec' in dag ? dag.spec : dag, profile, options.pod);
  const diagnostics = validate(spec, options);
  const profileNeeded = spec.tasks.some((task) => task.kind === 'node' && !task.runner);
  if (profileNeeded && !spec.profiles[profile]) {
    diagnostics.push({
      code: 'unknown-profile',
      message: `DAG '${spec.dagId}' has no profile '${profile}' (it declares: ${Object.keys(spec.profiles).join(', ') || 'none'}). Pass one of those, or add it to the DAG's profiles.`,
      dagId: spec.dagId,
      ...(spec.source ? { location: spec.source } : {}),
    });
  }
  if (diagnostics.length) throw new DagValidationError(atOptionLines(diagnostics, options.readSource), options.root);
  const view = buildView(spec, {
    profile,
    tasksDirEnv: TASKS_DIR_ENV,
    ...(options.tasksDir ? { tasksDir: options.tasksDir } : {}),
    ...(options.docComments ? { docComments: options.docComments } : {}),
  });
  const source = spec.source ? path.relative(options.root, spec.source.file).split(path.sep).join('/') : '<unknown>';
  return { dagId: spec.dagId, fileName: `${spec.dagId}.py`, contents: renderPython(view, { source, compiler: COMPILER, profile }) };
}

