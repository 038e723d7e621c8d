import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AWS_SDK_NODE_VERSION_WARNING_SWITCH } from '../../../src/runtime/sdk-warnings.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNTIME = pathToFileURL(path.join(ROOT, 'src/runtime/index.ts')).href;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const WARNING = 'NodeVersionSupportWarning';
const dir = mkdtempSync(path.join(tmpdir(), 'hp-sdk-warnings-'));
symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Creating a client is where the SDK checks the Node version (once per process).
const CREATE_CLIENT = "const region = await new S3Client({ region: 'us-east-1' }).config.region();";
const PLAIN = `import { S3Client } from '@aws-sdk/client-s3';\n${CREATE_CLIENT}\n`;
const TASK = `
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { defineTask, main } from '${RUNTIME}';
await main(defineTask({
  id: 'touch-s3',
  input: z.object({}),
  output: z.object({ region: z.string() }),
  run: async () => {
    ${CREATE_CLIENT}
    return { region };
  },
}));
`;

function run(name: string, source: string, env: Record<string, string> = {}) {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HP_INPUT: '{}', ...env },
  });
}

describe("the AWS SDK's Node-version warning", () => {
  it.runIf(NODE_MAJOR < 22)('is printed by a script that creates an S3 client outside the task runtime (this Node is older than 22)', () => {
    const result = run('plain.mts', PLAIN);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(WARNING);
  }, 30_000);

  it('is not in the output of a task that creates an S3 client', () => {
    const result = run('task.mts', TASK);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({ region: 'us-east-1' });
    expect(result.stderr).not.toContain(WARNING);
    expect(result.stdout).not.toContain(WARNING);
    expect(result.stderr).toContain('task finished');
  }, 30_000);

  it('comes back when the environment turns the switch off', () => {
    const result = run('task-opt-in.mts', TASK, { [AWS_SDK_NODE_VERSION_WARNING_SWITCH]: 'false' });
    expect(result.status, result.stderr).toBe(0);
    if (NODE_MAJOR < 22) expect(result.stderr).toContain(WARNING);
  }, 30_000);
});
