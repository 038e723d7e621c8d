/**
 * The few distribution functions the gates need, in double precision: erfc, the chi-square
 * (1 degree of freedom) survival function, the exact two-sided binomial test at p = ½ and the
 * standard normal quantile. Pure and deterministic.
 */

const LN_SQRT_PI = 0.5 * Math.log(Math.PI);
const EPS = 1e-16;
const MAX_ITERATIONS = 500;

/**
 * Q(½, x), the regularized upper incomplete gamma function at a = ½ (= erfc(√x)): the series
 * for P below x < 1.5, Lentz's continued fraction for Q above (Numerical Recipes §6.2), so the
 * far tail keeps its relative precision.
 */
function upperGammaHalf(x: number): number {
  if (x <= 0) return 1;
  const a = 0.5;
  const logPrefix = -x + a * Math.log(x) - LN_SQRT_PI;
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(logPrefix) * h;
}

/** The complementary error function. */
export function erfc(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return z >= 0 ? upperGammaHalf(z * z) : 2 - upperGammaHalf(z * z);
}

/** P(X > x) for X ~ χ² with one degree of freedom. */
export function chiSquare1Survival(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x <= 0 ? 1 : erfc(Math.sqrt(x / 2));
}

/**
 * Exact two-sided p-value of k successes in n trials under Binomial(n, ½): twice the smaller
 * tail, capped at 1 (the symmetric case of scipy's binomtest). Up to n = 50 the binomial
 * coefficients are exact integers in doubles, so the tail is exact; beyond, terms are summed in
 * log space so that 2^−n does not underflow.
 */
export function binomialTwoSidedHalf(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(`binomial test needs integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  const m = Math.min(k, n - k);
  let tail = 0;
  if (n <= 50) {
    let choose = 1; // C(n, j), exact: C(n, j)·(n − j) < 2^53 for n <= 50
    for (let j = 0; j <= m; j++) {
      tail += choose;
      choose = (choose * (n - j)) / (j + 1);
    }
    tail *= 2 ** -n;
  } else {
    const logHalfPowN = -n * Math.LN2;
    let logChoose = 0;
    for (let j = 0; j <= m; j++) {
      tail += Math.exp(logChoose + logHalfPowN);
      logChoose += Math.log((n - j) / (j + 1));
    }
  }
  return Math.min(1, 2 * tail);
}

/** Φ(x), the standard normal distribution function. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

// Acklam's rational approximation (relative error < 1.15e-9), refined below by one Halley step.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

const poly = (coefficients: readonly number[], x: number) => coefficients.reduce((acc, c) => acc * x + c, 0);

/** Φ⁻¹(p), the standard normal quantile, for 0 < p < 1 (±Infinity at 0 and 1). */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) throw new RangeError(`normal quantile needs 0 <= p <= 1, got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(C, q) / (poly(D, q) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(A, r) * q) / (poly(B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(C, q) / (poly(D, q) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}
