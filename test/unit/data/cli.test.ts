import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { dataCommands, toUri } from '../../../src/data/cli.ts';
import { sha256 } from '../../../src/data/object-store.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { tempDir } from './fixtures.ts';

const tmp = tempDir('hp-data-cli-');
afterAll(tmp.cleanup);
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'error').mockImplementation((...parts) => void err.push(parts.join(' ')));
  let failure: Error | undefined;
  try {
    const parser = yargs(args).strict().demandCommand(1).exitProcess(false).fail((message, error) => {
      throw error ?? new Error(message);
    });
    await dataCommands(parser).parseAsync();
  } catch (error) {
    failure = error as Error;
  } finally {
    vi.restoreAllMocks();
  }
  return { out: out.join(''), err: err.join('\n'), failure, exitCode: process.exitCode };
}

describe('health-predict data synth', () => {
  it('writes the seeded CSV to a file:// URI and prints a JSON summary', async () => {
    const uri = tmp.uri('synth.csv');
    const { out, failure } = await cli(['data', 'synth', '--rows', '40', '--seed', '3', '--out', uri]);
    expect(failure).toBeUndefined();
    const text = readFileSync(path.join(tmp.dir, 'synth.csv'), 'utf8');
    expect(text).toBe(synthesize({ rows: 40, seed: 3 }));
    expect(JSON.parse(out)).toEqual({ uri, rows: 40, seed: 3, bytes: Buffer.byteLength(text), sha256: sha256(text) });
  });

  it('accepts a plain local path', async () => {
    const file = path.join(tmp.dir, 'plain.csv');
    const { out } = await cli(['data', 'synth', '--rows', '5', '--out', file]);
    expect(JSON.parse(out)).toMatchObject({ uri: toUri(file), rows: 5, seed: 42 });
    expect(toUri(file)).toBe(`file://${file}`);
    expect(toUri('s3://b/k')).toBe('s3://b/k');
  });

  it('rejects a bad --rows and a missing --out', async () => {
    expect((await cli(['data', 'synth', '--rows', '0', '--out', tmp.uri('x.csv')])).failure?.message).toMatch(/--rows must be a whole number >= 1/);
    expect((await cli(['data', 'synth', '--rows', '5'])).failure?.message).toMatch(/Missing required argument: out/);
  });

  it('prints the store error and exits 1 when the destination cannot be written', async () => {
    const { err, exitCode, failure } = await cli(['data', 'synth', '--rows', '5', '--out', 'gs://bucket/x.csv']);
    expect(failure).toBeUndefined();
    expect(err).toMatch(/'gs:\/\/bucket\/x\.csv' is not a supported object URI/);
    expect(exitCode).toBe(1);
  });
});
