import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeUnless } from '../../harness/skip.ts';
import { planSplit, splitSpecSchema } from '../../../src/data/split.ts';
import { prepareText } from './fixtures.ts';

const REAL = '/work/shared/data/diabetes-130/diabetic_data.csv';
const REAL_SHA256 = '0689e7ec031237dc63031b938805c48377748761a3b26acab621567afa24df97';

describe('origin split', () => {
  it('cuts 101 766 raw rows at 14 247 / 17 300 / 20 353 (floor of 20 %, then 70 % / 85 %)', () => {
    const { parts, description } = planSplit(101_766);
    expect(description).toMatchObject({
      kind: 'origin',
      initial_rows: 20_353,
      raw_ranges: {
        train: { first: 0, last: 14_246 },
        validation: { first: 14_247, last: 17_299 },
        test: { first: 17_300, last: 20_352 },
        future: { first: 20_353, last: 101_765 },
      },
    });
    expect([parts.train.length, parts.validation.length, parts.test.length, parts.future!.length]).toEqual([14_247, 3_053, 3_053, 81_413]);
    expect(parts.validation[0]).toBe(14_247);
    expect(parts.future!.at(-1)).toBe(101_765);
  });

  it('covers every row exactly once for any size', () => {
    for (const n of [0, 1, 4, 5, 99, 1_000, 12_345]) {
      const { parts } = planSplit(n);
      expect([...parts.train, ...parts.validation, ...parts.test, ...parts.future!]).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});

describe('random split', () => {
  const spec = { kind: 'random' as const, fractions: { train: 0.7, validation: 0.15, test: 0.15 }, seed: 42 };

  it('is deterministic for a seed and different for another seed', () => {
    const a = planSplit(1_000, spec);
    expect(planSplit(1_000, spec)).toEqual(a);
    expect(planSplit(1_000, { ...spec, seed: 43 }).parts.train).not.toEqual(a.parts.train);
    expect(a.parts.train.slice(0, 5)).toEqual(planSplit(1_000, spec).parts.train.slice(0, 5));
  });

  it('is a permutation with floor-sized train/validation, the rest test, and no future', () => {
    const { parts, description } = planSplit(1_001, spec);
    expect([parts.train.length, parts.validation.length, parts.test.length]).toEqual([700, 150, 151]);
    expect(parts.future).toBeUndefined();
    expect([...parts.train, ...parts.validation, ...parts.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 1_001 }, (_, i) => i));
    expect(parts.train).not.toEqual([...parts.train].sort((x, y) => x - y)); // actually shuffled
    expect(description).toMatchObject({ kind: 'random', seed: 42, prng: 'xoshiro128** + Fisher-Yates' });
  });

  it('rejects fractions that do not add up to 1, and unknown keys', () => {
    const bad = splitSpecSchema.safeParse({ kind: 'random', fractions: { train: 0.7, validation: 0.2, test: 0.2 }, seed: 1 });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/must add up to 1/);
    expect(splitSpecSchema.safeParse({ kind: 'origin', seed: 1 }).success).toBe(false);
    expect(splitSpecSchema.safeParse({ kind: 'stratified' }).success).toBe(false);
  });
});

describeUnless(existsSync(REAL) ? undefined : `the real UCI file is not at ${REAL} (download it: README "The real data set")`, 'origin split on the real UCI file', () => {
  it('reproduces the origin counts and the test positive rate 0.433 (split raw rows first, then clean)', async () => {
    const bytes = readFileSync(REAL);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(REAL_SHA256);
    const prepared = await prepareText(bytes, { kind: 'origin' }, REAL);
    expect(prepared.rawRows).toBe(101_766);
    expect(prepared.cleaning).toEqual({ rows_in: 101_766, rows_dropped_excluded_discharge: 2_423, rows_out: 99_343 });
    const byName = Object.fromEntries(prepared.splits.map((s) => [s.name, s]));
    expect(Object.fromEntries(prepared.splits.map((s) => [s.name, [s.rawRows, s.rows.length, s.positives]]))).toEqual({
      train: [14_247, 13_981, 6_898],
      validation: [3_053, 2_996, 1_376],
      test: [3_053, 2_995, 1_297],
      future: [81_413, 79_371, 37_245],
    });
    const testRate = byName.test!.positives / byName.test!.rows.length;
    expect(testRate.toFixed(3)).toBe('0.433');
    // The split files the whole-text reader wrote (commit c881498): the streaming path writes the same bytes.
    expect(Object.fromEntries(prepared.splits.map((s) => [s.name, s.file.sha256]))).toEqual({
      train: 'ac37b1aef7a9d79789834726bf61293556c8bd8991680543dc3685ff91e74909',
      validation: '4872d96c2e080274659250d59710e08d3be3d2f3a306066027d6b549d93e6c05',
      test: '7c58001b845fb7680304e5f0947cec0b38699363cc47e0c5337d63b2c719cf53',
      future: '305dea04c2761eae3905192610546fcd5062e75f05225d5b31a825e701deac54',
    });
  }, 120_000);
});
if (!existsSync(REAL)) console.warn(`skipping the real-file origin split test: ${REAL} is not present`);
