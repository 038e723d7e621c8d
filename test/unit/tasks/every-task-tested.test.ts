/**
 * Every task script in src/tasks has a test of its own glue in this folder: `<script-id>.test.ts`,
 * or one of the files below that runs several tasks in the DAG's order on shared, costly fixtures.
 * A new task script without one fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TASKS = path.resolve(HERE, '../../../src/tasks');

/** Test files (`<name>.test.ts`) that run several tasks, and the tasks each runs. */
const SHARED_TESTS: Record<string, readonly string[]> = {
  'image-tasks': ['build-api-image', 'test-api-locally', 'push-to-ecr'],
  'quality-gates': ['compare-against-production', 'register-and-promote-model', 'log-skip-decision'],
  'kubernetes-deploy': ['deploy-to-kubernetes', 'verify-deployment', 'post-deployment-health-check', 'rollback-deployment'],
};
const testFileOf = (id: string) => Object.entries(SHARED_TESTS).find(([, ids]) => ids.includes(id))?.[0] ?? id;

const scripts = readdirSync(TASKS).filter((file) => file.endsWith('.ts')).map((file) => file.replace(/\.ts$/, ''));

/** `import name from '…/src/tasks/<id>.ts'`: a value import of the task, not `import type`. */
const runsTask = (source: string, id: string) => new RegExp(`^import (?!type )\\w+ from '\\.\\./\\.\\./\\.\\./src/tasks/${id}\\.ts';$`, 'm').test(source);

describe('task script tests', () => {
  it('finds the task scripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(16);
  });

  it.each(scripts)('%s has a test file here that runs it', (id) => {
    const file = path.join(HERE, `${testFileOf(id)}.test.ts`);
    expect(existsSync(file), `${path.relative(process.cwd(), file)} is missing`).toBe(true);
    expect(runsTask(readFileSync(file, 'utf8'), id), `${path.basename(file)} does not import src/tasks/${id}.ts`).toBe(true);
  });
});
