/** The streaming preparation writes exactly what the whole-text implementation wrote, in any chunking. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prepareDataset } from '../../../src/data/dataset.ts';
import { sha256 } from '../../../src/data/object-store.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { TaskError } from '../../../src/runtime/index.ts';
import { prepareText } from './fixtures.ts';

const RAW = synthesize({ rows: 3_000, seed: 11 });
const RANDOM = { kind: 'random' as const, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 5 };

/** sha256 of each split file as written by the whole-text reader (parseCsv + formatCsv, commit c881498) for RAW. */
const BEFORE = {
  origin: {
    train: '8b6add929125e27f0527f16a914af19e1560c9e8fab6233c426aa7d2a1bbd5ef',
    validation: 'd22b4e7bbfa7aec32175fe49b65330e7dee0c4413e216fa97d16ddcc2ade801f',
    test: '2004927e93355f9e033694a13beb17bc6fc97b072322874af5e1a1a93f3d863c',
    future: '67d0aa58894ff0e7117d4e2fcdfc1eb48cc444b51d0fda7b927d3d2c47ace3a5',
  },
  random: {
    train: 'cf341ee33c218a6d17df995b13b17e1fb6690ba584d910d5018807abcc06ab52',
    validation: '7e3675fefc86078fbc6adaaca8e8713afbc0bb5e98ef7b1e5414a5e82c4aa094',
    test: '38b83316107f702cdb0d1c039765620daafc7220fc5ccef15dd426616948be25',
  },
};

describe('prepareDataset (streaming, two passes)', () => {
  for (const [kind, spec] of [['origin', { kind: 'origin' as const }], ['random', RANDOM]] as const) {
    it(`writes the same ${kind} split files as before, byte for byte, for 64 KiB and 997-byte chunks`, async () => {
      for (const chunk of [64 * 1024, 997]) {
        const prepared = await prepareText(RAW, spec, 'raw.csv', chunk);
        const hashes = Object.fromEntries(prepared.splits.map((s) => [s.name, s.file.sha256]));
        expect(hashes).toEqual(BEFORE[kind]);
        for (const split of prepared.splits) {
          expect(sha256(split.text)).toBe(split.file.sha256);
          expect(Buffer.byteLength(split.text)).toBe(split.file.bytes);
        }
        expect(prepared.source).toEqual({ sha256: sha256(RAW), bytes: Buffer.byteLength(RAW) });
        expect(prepared.rawRows).toBe(3_000);
      }
    });
  }

  it('fails retryably when the source changes between the two passes', async () => {
    const workDir = mkdtempSync(path.join(tmpdir(), 'hp-dataset-'));
    try {
      const versions = [RAW, RAW.replace('Caucasian', 'Hispanic')];
      const open = async () => Readable.from([Buffer.from(versions.shift()!)]);
      const error = await prepareDataset(open, { kind: 'origin' }, 's3://b/raw.csv', workDir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskError);
      expect((error as TaskError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/^s3:\/\/b\/raw\.csv changed while it was being read/);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
