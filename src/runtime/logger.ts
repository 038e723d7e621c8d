import { pino, type DestinationStream, type Logger } from 'pino';
import type { RunInfo } from './context.ts';

export type LogDestination = NodeJS.WritableStream | DestinationStream;

/**
 * JSON lines on stderr, written synchronously so every log line is out before the output
 * line on stdout (Airflow merges the two streams and takes the last line as the XCom).
 */
export function createLogger(info: RunInfo, destination?: LogDestination): Logger {
  const base: Record<string, string | number> = {};
  if (info.dagId !== undefined) base.dag_id = info.dagId;
  if (info.taskId !== undefined) base.task_id = info.taskId;
  if (info.runId !== undefined) base.run_id = info.runId;
  base.try_number = info.tryNumber;
  base.script = info.script;
  return pino(
    {
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** The field names of an input or output: all that may be logged of it, since values can hold secrets. */
export function fieldNames(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}
