import { readFileSync } from 'node:fs';

/** The 1-based line of the unique `marker` comment in `file`; tests assert diagnostics point there. */
export function lineOf(file: string, marker: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const matches = lines.flatMap((line, index) => (line.includes(`// ${marker}`) ? [index + 1] : []));
  if (matches.length !== 1) throw new Error(`marker '${marker}' found ${matches.length} times in ${file}`);
  return matches[0]!;
}
