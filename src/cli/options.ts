/** CLI options: yargs parses, these zod schemas validate, resolve*() are pure and tested. */
import { readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HealthPredictError } from '../runtime/errors.ts';
import { GENERATED_DAGS_DIR } from './project.ts';

export class CliUsageError extends HealthPredictError {}

const buildArgs = z.object({
  check: z.boolean().default(false),
  profile: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a profile name declared by the DAGs').default('local'),
  out: z.string().min(1).optional(),
  tasksDir: z.string().startsWith('/', 'an absolute path').optional(),
  taskImage: z.string().min(1).optional(),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name').optional(),
  hostNetwork: z.boolean().optional(),
  dockerSocket: z.string().startsWith('/', 'an absolute path to the Docker daemon socket on the node').optional(),
  sources: z.array(z.string().regex(/\.dag\.ts$/, 'DAG source files (*.dag.ts)')).default([]),
  verbose: z.boolean().default(false),
});

export function resolveBuildOptions(argv: unknown, root: string) {
  const args = parse(buildArgs, argv);
  return {
    check: args.check,
    profile: args.profile,
    outDir: path.resolve(root, args.out ?? GENERATED_DAGS_DIR),
    verbose: args.verbose,
    ...(args.tasksDir ? { tasksDir: args.tasksDir } : {}),
    ...(args.taskImage !== undefined || args.namespace !== undefined || args.hostNetwork !== undefined || args.dockerSocket !== undefined
      ? {
          pod: {
            ...(args.taskImage ? { image: args.taskImage } : {}),
            ...(args.namespace ? { namespace: args.namespace } : {}),
            ...(args.hostNetwork !== undefined ? { hostNetwork: args.hostNetwork } : {}),
            ...(args.dockerSocket ? { dockerSocket: { path: args.dockerSocket } } : {}),
          },
        }
      : {}),
    ...(args.sources.length ? { sources: args.sources.map((file) => path.resolve(file)) } : {}),
  };
}

/**
 * `--docker-socket`'s group, read from the socket here: the flag is for a node that is this machine
 * (the local cluster); a DAG for other nodes names `dockerSocket: { path, group }` in its runner.
 */
export function withDockerSocketGroup<T extends ReturnType<typeof resolveBuildOptions>>(options: T, stat: (file: string) => Stats = statSync): T {
  const socket = options.pod?.dockerSocket;
  if (!socket) return options;
  let stats: Stats;
  try {
    stats = stat(socket.path);
  } catch (error) {
    throw new CliUsageError(`--docker-socket ${socket.path}: ${(error as Error).message}. Name the Docker daemon's socket on this machine (the pods' node), e.g. the stack's: \`health-predict stack env\` prints DOCKER_HOST.`);
  }
  if (!stats.isSocket()) throw new CliUsageError(`--docker-socket ${socket.path} is not a socket. Name the Docker daemon's socket on this machine (the pods' node).`);
  return { ...options, pod: { ...options.pod, dockerSocket: { path: socket.path, group: stats.gid } } };
}

const taskRunArgs = z.object({
  dagId: z.string().min(1),
  taskId: z.string().min(1),
  input: z.string().default('{}'),
  tryNumber: z.number().int().positive().default(1),
});

/** `--input` is JSON text, or `@path/to/file.json`. */
export function resolveTaskRunOptions(argv: unknown, cwd: string) {
  const args = parse(taskRunArgs, argv);
  const text = args.input.startsWith('@') ? readFileSync(path.resolve(cwd, args.input.slice(1)), 'utf8') : args.input;
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`--input must be JSON (or @file.json): ${(error as Error).message}.`);
  }
  return { dagId: args.dagId, taskId: args.taskId, input, tryNumber: args.tryNumber };
}

function parse<S extends z.ZodType>(schema: S, argv: unknown): z.output<S> {
  const result = schema.safeParse(argv);
  if (result.success) return result.data;
  throw new CliUsageError(result.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
}
