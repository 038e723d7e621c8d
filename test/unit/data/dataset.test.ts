/** The streaming preparation writes exactly what the whole-text implementation wrote, in any chunking. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cleanRows } from '../../../src/data/clean.ts';
import { formatCsv, parseCsv } from '../../../src/data/csv.ts';
import { prepareDataset } from '../../../src/data/dataset.ts';
import { sha256 } from '../../../src/data/object-store.ts';
import { CLEAN_COLUMNS } from '../../../src/data/schema.ts';
import { planSplit, type SplitSpec } from '../../../src/data/split.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { validateRecords } from '../../../src/data/validate.ts';
import { BadDataError, TaskError } from '../../../src/runtime/index.ts';
import { prepareText } from './fixtures.ts';

const RAW = synthesize({ rows: 3_000, seed: 11 });
const RANDOM = { kind: 'random' as const, fractions: { train: 0.6, validation: 0.2, test: 0.2 }, seed: 5 };

/**
 * What the whole-text implementation wrote: every record parsed into memory, validated, split,
 * cleaned, then formatted with formatCsv (src/data/dataset.ts before streaming). Pinned hashes
 * of that implementation on the real UCI file are in split.test.ts.
 */
function wholeTextSplits(text: string, spec: SplitSpec): Record<string, string> {
  const table = validateRecords(parseCsv(text), 'raw.csv');
  const { parts } = planSplit(table.rows.length, spec);
  return Object.fromEntries(Object.entries(parts).map(([name, positions]) => [name, sha256(formatCsv(CLEAN_COLUMNS, cleanRows(table, positions).rows))]));
}

describe('prepareDataset (streaming, two passes)', () => {
  for (const [kind, spec] of [['origin', { kind: 'origin' as const }], ['random', RANDOM]] as const) {
    it(`writes the same ${kind} split files as the whole-text path, byte for byte, for 64 KiB and 997-byte chunks`, async () => {
      const before = wholeTextSplits(RAW, spec);
      expect(Object.keys(before)).toHaveLength(kind === 'origin' ? 4 : 3);
      for (const chunk of [64 * 1024, 997]) {
        const prepared = await prepareText(RAW, spec, 'raw.csv', chunk);
        const hashes = Object.fromEntries(prepared.splits.map((s) => [s.name, s.file.sha256]));
        expect(hashes).toEqual(before);
        for (const split of prepared.splits) {
          expect(sha256(split.text)).toBe(split.file.sha256);
          expect(Buffer.byteLength(split.text)).toBe(split.file.bytes);
        }
        expect(prepared.source).toEqual({ sha256: sha256(RAW), bytes: Buffer.byteLength(RAW) });
        expect(prepared.rawRows).toBe(3_000);
      }
    });
  }

  it('closes the source when validation stops reading it early', async () => {
    const workDir = mkdtempSync(path.join(tmpdir(), 'hp-dataset-'));
    try {
      // A download that never ends by itself: only closing it stops it.
      const source = new Readable({ read() {} });
      source.push('not,the,header\n1,2,3\n');
      const error = await prepareDataset(async () => source, { kind: 'origin' }, 'raw.csv', workDir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadDataError);
      expect((error as Error).message).toMatch(/the header is missing 50 required column/);
      await new Promise((resolve) => setImmediate(resolve)); // 'close' is emitted on a later tick
      expect(source.destroyed).toBe(true);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

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
