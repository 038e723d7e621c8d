import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { dataCommands, driftOption, toUri } from '../../../src/data/cli.ts';
import { sha256 } from '../../../src/data/object-store.ts';
import { DRIFTABLE_FEATURES, synthesize } from '../../../src/data/synth.ts';
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

  it('shifts --drift-features from --drift-from-row on, and says so in the summary', async () => {
    const uri = tmp.uri('drifted.csv');
    const args = ['data', 'synth', '--rows', '60', '--seed', '3', '--drift-from-row', '20', '--drift-features', 'num_medications, age', '--out', uri];
    const { out, failure } = await cli(args);
    expect(failure).toBeUndefined();
    const drift = { fromRow: 20, features: ['num_medications', 'age'] };
    const text = readFileSync(path.join(tmp.dir, 'drifted.csv'), 'utf8');
    expect(text).toBe(synthesize({ rows: 60, seed: 3, drift }));
    expect(text).not.toBe(synthesize({ rows: 60, seed: 3 }));
    expect(JSON.parse(out)).toMatchObject({ uri, rows: 60, seed: 3, drift, sha256: sha256(text) });
  });

  it('rejects half of the drift options, an unknown drift feature (listing the valid ones) and a bad row', async () => {
    const synth = (...extra: string[]) => cli(['data', 'synth', '--rows', '5', '--out', tmp.uri('d.csv'), ...extra]);
    expect((await synth('--drift-from-row', '2')).failure?.message).toMatch(/--drift-from-row and --drift-features go together/);
    expect((await synth('--drift-from-row', '2', '--drift-features', 'age,shoe_size')).failure?.message).toBe(
      `drift feature(s) 'shoe_size' cannot be shifted; choose among the model inputs (raw column names): ${DRIFTABLE_FEATURES.join(', ')}`,
    );
    expect(() => driftOption({ 'drift-from-row': 1.5, 'drift-features': 'age' })).toThrow(/--drift-from-row must be a whole number >= 0/);
    expect(driftOption({})).toBeUndefined();
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
