import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Where a DSL object or a task definition was declared, for diagnostics and bundling. */
export interface SourceLocation {
  /** Absolute path of the declaring file. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/;

/**
 * The first stack frame outside `skipDirs`: the user's line that called into us.
 * Stack traces are source-mapped under tsx and vitest, so lines are TypeScript lines.
 */
export function callerLocation(skipDirs: readonly string[]): SourceLocation | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const match = FRAME.exec(frame.trim());
    if (!match) continue;
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    if (file.includes(`${path.sep}node_modules${path.sep}`) || file.startsWith('node:')) continue;
    if (skipDirs.some((dir) => file.startsWith(dir + path.sep))) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** `file:line` relative to `root`, the form every diagnostic uses. */
export function formatLocation(location: SourceLocation | undefined, root: string): string {
  if (!location) return '<unknown location>';
  return `${path.relative(root, location.file) || location.file}:${location.line}`;
}
