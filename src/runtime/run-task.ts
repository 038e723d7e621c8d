import type { Logger } from 'pino';
import type { z } from 'zod';
import { createContext, readRunInfo, type RunInfo } from './context.ts';
import { ENV, EXIT_OK, EXIT_RETRYABLE, EXIT_SKIP } from './contract.ts';
import type { TaskDefinition } from './define-task.ts';
import { exitCodeFor, OutputContractError, SkipTask } from './errors.ts';
import { resolveInput } from './inputs.ts';
import { createLogger, fieldNames, type LogDestination } from './logger.ts';

/** Everything `runTask` touches outside itself, so tests can run it in-process. */
export interface TaskIO {
  readonly env: Record<string, string | undefined>;
  /** Writes one line (without its newline) to stdout. */
  readonly stdout: (line: string) => void;
  readonly writeFile: (path: string, data: string) => void;
  /** Defaults to stderr, synchronously. */
  readonly logDestination?: LogDestination;
  readonly now?: () => number;
}

/**
 * Runs one task: resolve and validate the input, run it, validate and emit the output.
 * Returns the exit code (see contract.ts); never throws and never exits the process.
 */
export async function runTask(def: TaskDefinition<any, any>, io: TaskIO): Promise<number> {
  try {
    return await execute(def, io);
  } catch {
    return EXIT_RETRYABLE; // only reached when logging itself fails
  }
}

async function execute(def: TaskDefinition<any, any>, io: TaskIO): Promise<number> {
  const now = io.now ?? Date.now;
  const started = now();
  const info = readRunInfo(io.env, def.id);
  const log = createLogger(info, io.logDestination);
  const finished = (outcome: string, exitCode: number, extra: object = {}) =>
    log.info({ outcome, exit_code: exitCode, duration_ms: now() - started, ...extra }, 'task finished');

  log.info('task started');
  const rawTry = io.env[ENV.tryNumber];
  if (rawTry !== undefined && String(info.tryNumber) !== rawTry) {
    log.warn(`${ENV.tryNumber} is '${rawTry}', not a whole number; counting this as try 1.`);
  }

  let line: string;
  let outputFields: string[];
  try {
    const input = resolveInput(def, io.env);
    log.info({ input_fields: fieldNames(input) }, 'input resolved');
    const output = checkOutput(def, await def.run(input, createContext(info, log)));
    outputFields = fieldNames(output);
    line = serialise(def, output);
    const xcomFile = io.env[ENV.xcomFile];
    if (xcomFile) io.writeFile(xcomFile, line);
  } catch (error) {
    const exitCode = exitCodeFor(error);
    logFailure(log, error, info);
    finished(exitCode === EXIT_SKIP ? 'skipped' : 'failed', exitCode);
    return exitCode;
  }

  // Airflow's BashOperator pushes the LAST line of the merged stdout/stderr as the XCom,
  // so the output line must be the very last thing this task writes.
  finished('success', EXIT_OK, { output_fields: outputFields, output_bytes: Buffer.byteLength(line) });
  io.stdout(line);
  return EXIT_OK;
}

function checkOutput(def: TaskDefinition<any, any>, value: unknown): Record<string, unknown> {
  const result = def.output.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (issue: z.core.$ZodIssue) => `  - ${issue.path.length ? issue.path.map(String).join('.') : '(output)'}: ${issue.message}`,
  );
  throw new OutputContractError(
    `Task script '${def.id}' returned a value that does not match its output schema:\n${issues.join('\n')}\n` +
      `This is a bug in run() in ${def.source.file}: make it return the declared fields. The task is not retried.`,
  );
}

function serialise(def: TaskDefinition<any, any>, output: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(output);
  } catch (error) {
    throw new OutputContractError(
      `Task script '${def.id}' returned an output that cannot be written as JSON (${error instanceof Error ? error.message : String(error)}). ` +
        `Return only plain JSON values (no BigInt, no cycles) from run() in ${def.source.file}.`,
    );
  }
  // JSON.stringify leaves U+2028/U+2029 raw; escaping them keeps the output one line for any line splitter.
  return json.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function logFailure(log: Logger, error: unknown, info: RunInfo): void {
  if (error instanceof SkipTask) {
    log.warn({ reason: error.reason }, 'task skipped');
  } else if (exitCodeFor(error) !== EXIT_RETRYABLE) {
    const { name, message } = error as Error;
    log.error({ error_name: name, error_message: message }, 'task failed; not retrying');
  } else if (error instanceof Error) {
    log.error({ err: error }, `task failed on try ${info.tryNumber}; Airflow retries it if retries remain`);
  } else {
    log.error({ thrown: String(error) }, `task failed on try ${info.tryNumber}: it threw a non-Error value`);
  }
}
