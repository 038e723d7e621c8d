/** The project's one seeded PRNG: xoshiro128** pinned against the reference, and the uniform stream built on it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom, shuffledIndexes, Xoshiro128ss } from '../../../src/runtime/random.ts';

describe('Xoshiro128ss', () => {
  it('matches an independent implementation (xoshiro128** with the SplitMix-style seeder)', () => {
    /*
     * Python, from the reference C (prng.di.unimi.it/xoshiro128starstar.c):
     *   M=0xffffffff; rotl=lambda v,k:((v<<k)|(v>>(32-k)))&M; imul=lambda a,b:(a*b)&M
     *   x=42
     *   def sm():
     *     global x; x=(x+0x9e3779b9)&M; z=x
     *     z=imul(z^(z>>16),0x85ebca6b); z=imul(z^(z>>13),0xc2b2ae35); return (z^(z>>16))&M
     *   s=[sm() for _ in range(4)]
     *   for _ in range(6):
     *     r=imul(rotl(imul(s[1],5),7),9); t=(s[1]<<9)&M
     *     s[2]^=s[0]; s[3]^=s[1]; s[1]^=s[2]; s[0]^=s[3]; s[2]^=t; s[3]=rotl(s[3],11); print(r)
     */
    const rng = new Xoshiro128ss(42);
    expect(Array.from({ length: 6 }, () => rng.next())).toEqual([2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = new Xoshiro128ss(7), b = new Xoshiro128ss(7), c = new Xoshiro128ss(8);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(seqA);
  });

  it('drawResample draws n rows from the same stream as next(), counts summing to n', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), fc.nat({ max: 0xffffffff }), (n, seed) => {
      const counts = new Uint32Array(n);
      new Xoshiro128ss(seed).drawResample(counts);
      const reference = new Xoshiro128ss(seed);
      const expected = new Uint32Array(n);
      for (let k = 0; k < n; k++) expected[Math.floor((reference.next() * n) / 2 ** 32)]!++;
      expect(counts).toEqual(expected);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    }));
  });

  it('draws rows uniformly (chi-square sanity check)', () => {
    const n = 50;
    const counts = new Uint32Array(n);
    const totals = new Float64Array(n);
    const rng = new Xoshiro128ss(1);
    for (let r = 0; r < 2000; r++) {
      rng.drawResample(counts);
      counts.forEach((c, i) => (totals[i]! += c));
    }
    const expected = 2000;
    const chi2 = totals.reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(100); // 49 degrees of freedom: p ≈ 1e-5 at 100
  });
});

describe('seededRandom', () => {
  it('is the generator uint32 stream scaled to [0, 1)', () => {
    const random = seededRandom(42);
    expect(Array.from({ length: 3 }, () => random() * 4294967296)).toEqual([2837322924, 544945897, 479756282]);
  });

  it('shuffles 0..n-1 into a permutation, the same one for the same seed', () => {
    const order = shuffledIndexes(1_000, seededRandom(7));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(shuffledIndexes(1_000, seededRandom(7))).toEqual(order);
    expect(shuffledIndexes(1_000, seededRandom(8))).not.toEqual(order);
  });
});
