/** Number formatting for the gates' human-readable sentences (the raw numbers travel in `values`). */

/** 0.8123 → "0.812". */
export const fixed = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** 0.0123 → "+0.012", -0.004 → "-0.004". */
export const signed = (x: number, digits = 3): string => {
  const text = fixed(x, digits);
  return x >= 0 || Number(text) === 0 ? `+${text.replace(/^-/, '')}` : text;
};

/** 0.95 → "95%", 0.975 → "97.5%". */
export const percent = (x: number): string => `${Number((x * 100).toPrecision(6))}%`;

/** A bootstrap p-value; 0 reads as "< 1 / resamples". */
export const pValue = (p: number, resamples?: number): string => {
  if (p === 0 && resamples) return `p < ${Number((1 / resamples).toPrecision(3))}`;
  return p !== 0 && p < 0.001 ? `p = ${p.toExponential(1)}` : `p = ${Number(p.toPrecision(3))}`;
};

/** 1234567 → "1,234,567". */
export const count = (n: number): string => n.toLocaleString('en-US');
