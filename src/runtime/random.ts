/**
 * The project's one seeded PRNG, so splits, synthetic data and bootstrap intervals are
 * reproducible across machines and Node versions (Math.random cannot be seeded), and the
 * distributions drawn from it. Not for cryptography.
 */
export type Random = () => number;

/**
 * xoshiro128** 1.1 (Blackman & Vigna, 2018, public domain): 128-bit state, period 2^128 − 1,
 * passes BigCrush; 32-bit outputs, fast with Math.imul. Its 128-bit state is filled from the
 * 32-bit seed by a SplitMix-style generator (Weyl step 0x9e3779b9, then MurmurHash3's fmix32
 * finaliser), so nearby seeds give unrelated streams. Not for cryptography.
 */
export class Xoshiro128ss {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const splitmix32 = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix32();
    this.s1 = splitmix32();
    this.s2 = splitmix32();
    this.s3 = splitmix32();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The next uint32. */
  next(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Fills `counts` with the multiplicities of one bootstrap resample: n = counts.length draws
   * of a row index, each ⌊u32 · n / 2^32⌋ (exact in doubles; bias below n / 2^32, i.e. < 1e-5
   * for 40 000 rows). Same stream as n calls of `next()`, with the state kept in locals.
   */
  drawResample(counts: Uint32Array): void {
    const n = counts.length;
    const scale = n / 4294967296;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    counts.fill(0);
    for (let k = 0; k < n; k++) {
      const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      counts[(result * scale) | 0]!++;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}

const rotl = (v: number, k: number) => (v << k) | (v >>> (32 - k));

/** Uniform floats in [0, 1) from xoshiro128** (a uint32 / 2^32); the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  const generator = new Xoshiro128ss(seed);
  return () => generator.next() / 4294967296;
}

/** Integer in [min, max] inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A weighted picker with the cumulative weights computed once (for hot loops). */
export function picker<T>(values: readonly T[], weights: readonly number[]): (random: Random) => T {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) cumulative.push((total += w));
  return (random) => {
    const r = random() * total;
    for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]!) return values[i]!;
    return values[values.length - 1]!;
  };
}

/** Standard normal variate (Box–Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Poisson variate (Knuth; fine for the small means used here). */
export function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** Fisher–Yates shuffle of 0..n-1. */
export function shuffledIndexes(n: number, random: Random): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
