/**
 * What the local platform's commands (`health-predict stack …`, `cluster …`) share in their output:
 * one result as JSON or text on stdout, `export` lines, a fixed-width table, paths relative to the
 * working directory, and expected errors printed as one message with exit code 1.
 */
import path from 'node:path';

/** `file` relative to the working directory when it lies below it; otherwise as given. */
export function relativeToCwd(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

/** Rows of cells, each column padded to its widest cell, two spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()).join('\n');
}

/** `export KEY='value'` lines a shell can `eval`, one per variable. */
export function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `export ${key}='${value.replaceAll("'", "'\\''")}'`)
    .join('\n');
}

/** What `down` prints: the services or components it stopped. */
export const stoppedText = ({ stopped }: { stopped: readonly string[] }): string => (stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');

/** With `--json`, `value` as one JSON line; otherwise its text (when there is any), made only then. */
export async function printResult<V>(json: boolean | undefined, value: V, text?: (value: V) => string | Promise<string>): Promise<void> {
  if (json) {
    process.stdout.write(`${JSON.stringify(value)}\n`);
    return;
  }
  const lines = await text?.(value);
  if (lines) console.log(lines);
}

/**
 * A command handler that prints the message of an error `isExpected` accepts (no stack trace) and
 * sets exit code 1; any other error propagates.
 */
export function reportingErrors<A>(isExpected: (error: unknown) => error is Error, run: (argv: A) => Promise<void>): (argv: A) => Promise<void> {
  return async (argv) => {
    try {
      await run(argv);
    } catch (error) {
      if (!isExpected(error)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    }
  };
}
