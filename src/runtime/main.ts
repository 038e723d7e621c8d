import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskDefinition } from './define-task.ts';
import { runTask } from './run-task.ts';
import { silenceAwsSdkNodeVersionWarning } from './sdk-warnings.ts';

/** The entry point of a bundled task script: runs the task against the real process. */
export async function main(def: TaskDefinition<any, any>): Promise<void> {
  silenceAwsSdkNodeVersionWarning(process.env);
  const code = await runTask(def, {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    writeFile: (file, data) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, data);
    },
  });
  // No process.exit(): it can cut off a stdout pipe that is still draining.
  process.exitCode = code;
}
