/**
 * Small standalone SVG charts of an evaluation: ROC curve, precision–recall curve and the
 * confusion matrix. Hand-written markup, no dependencies; the output depends only on the
 * input (fixed number formatting, no dates or random ids), so the same evaluation renders
 * byte-identical files. Every caller-supplied text is escaped, and characters XML cannot hold
 * are replaced by U+FFFD. Curves are downsampled to at most MAX_PLOT_POINTS vertices.
 *
 * Kept hand-written after weighing vega-lite (which renders SVG headless): it brings vega's 27
 * packages and a dataflow runtime into the evaluate and compare bundles to draw four fixed charts,
 * and its output is not pinned byte for byte across its releases, which these files are.
 */
import { type ConfusionMatrix, downsampleCurve } from './metrics.ts';

export const MAX_PLOT_POINTS = 500;

// XML 1.0 forbids C0 controls other than tab/LF/CR, lone surrogates, U+FFFE and U+FFFF.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(INVALID_XML_CHARS, '\ufffd').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export interface CurvePlotOptions {
  /** Heading text (escaped); the metric value is appended. */
  readonly title?: string;
}

const SIZE = 360; // plot area (square)
const LEFT = 70;
const TOP = 56;
const WIDTH = LEFT + SIZE + 30;
const HEIGHT = TOP + SIZE + 56;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/** Fixed-precision number for coordinates: at most 2 decimals, no trailing zeros, never "-0". */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

export function formatMetric(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

const px = (x: number) => LEFT + clamp01(x) * SIZE;
const py = (y: number) => TOP + (1 - clamp01(y)) * SIZE;
const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** The XML declaration, the <svg> element with the charts' font, its <title> and a white background. */
export function svgOpen(width: number, height: number, title: string): string[] {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ${FONT} font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
}

/** Axes frame, grid, ticks, axis labels and heading of a unit-square plot. */
function frame(title: string, xLabel: string, yLabel: string): string[] {
  const out = svgOpen(WIDTH, HEIGHT, title);
  out.push(`<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push('<g stroke="#e3e3e3" stroke-width="1">');
  for (let t = 0; t <= 5; t++) {
    const v = t / 5;
    out.push(`<line x1="${num(px(v))}" y1="${TOP}" x2="${num(px(v))}" y2="${TOP + SIZE}"/>`);
    out.push(`<line x1="${LEFT}" y1="${num(py(v))}" x2="${LEFT + SIZE}" y2="${num(py(v))}"/>`);
  }
  out.push('</g>');
  out.push(`<rect x="${LEFT}" y="${TOP}" width="${SIZE}" height="${SIZE}" fill="none" stroke="#333333"/>`);
  out.push('<g fill="#333333">');
  for (let t = 0; t <= 5; t++) {
    const v = t / 5;
    out.push(`<text x="${num(px(v))}" y="${TOP + SIZE + 18}" text-anchor="middle">${v.toFixed(1)}</text>`);
    out.push(`<text x="${LEFT - 8}" y="${num(py(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  out.push(`<text x="${LEFT + SIZE / 2}" y="${TOP + SIZE + 42}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`);
  const cy = TOP + SIZE / 2;
  out.push(`<text x="22" y="${cy}" text-anchor="middle" font-size="13" transform="rotate(-90 22 ${cy})">${escapeXml(yLabel)}</text>`);
  out.push('</g>');
  return out;
}

/** SVG path data through the curve's points (downsampled); `step`: vertical, then horizontal. */
function pathData(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints: number, step: boolean): string {
  const parts: string[] = [];
  downsampleCurve(xs, ys, maxPoints).forEach((i, k) => {
    const x = num(px(xs[i]!));
    const y = num(py(ys[i]!));
    parts.push(k === 0 ? `M${x} ${y}` : step ? `V${y}H${x}` : `L${x} ${y}`);
  });
  return parts.join(' ');
}

/** ROC curve with the chance diagonal; `auc` goes in the heading. */
export function rocCurveSvg(
  curve: { readonly fpr: ArrayLike<number>; readonly tpr: ArrayLike<number> },
  options: CurvePlotOptions & { readonly auc: number },
): string {
  const title = `${options.title ?? 'ROC curve'} (AUC = ${formatMetric(options.auc)})`;
  const out = frame(title, 'False positive rate', 'True positive rate');
  out.push(`<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999999" stroke-dasharray="5 4"/>`);
  if (curve.fpr.length > 0) {
    out.push(`<path d="${pathData(curve.fpr, curve.tpr, MAX_PLOT_POINTS, false)}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  }
  out.push('</svg>', '');
  return out.join('\n');
}

const SERIES_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

export interface RocSeries {
  readonly label: string;
  readonly fpr: ArrayLike<number>;
  readonly tpr: ArrayLike<number>;
  readonly auc: number;
}

/** Several ROC curves on one plot (e.g. candidate vs production), with a legend giving each AUC. */
export function rocComparisonSvg(series: readonly RocSeries[], options: CurvePlotOptions = {}): string {
  if (series.length > SERIES_COLOURS.length) throw new RangeError(`at most ${SERIES_COLOURS.length} ROC series per plot, got ${series.length}`);
  const out = frame(options.title ?? 'ROC curves', 'False positive rate', 'True positive rate');
  out.push(`<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999999" stroke-dasharray="5 4"/>`);
  series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i]!;
    if (s.fpr.length > 0) out.push(`<path d="${pathData(s.fpr, s.tpr, MAX_PLOT_POINTS, false)}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const y = TOP + SIZE - 16 - (series.length - 1 - i) * 18;
    out.push(`<line x1="${px(0.55)}" y1="${y - 4}" x2="${px(0.6)}" y2="${y - 4}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${num(px(0.62))}" y="${y}">${escapeXml(`${s.label} (AUC = ${formatMetric(s.auc)})`)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/**
 * Precision–recall curve drawn as steps (the area under the steps is the average precision),
 * points in ascending recall order; a dashed line at `prevalence` (a random model) if given.
 */
export function precisionRecallSvg(
  curve: { readonly recall: ArrayLike<number>; readonly precision: ArrayLike<number> },
  options: CurvePlotOptions & { readonly averagePrecision?: number; readonly prevalence?: number } = {},
): string {
  const base = options.title ?? 'Precision–recall curve';
  const title = options.averagePrecision === undefined ? base : `${base} (AP = ${formatMetric(options.averagePrecision)})`;
  const out = frame(title, 'Recall', 'Precision');
  if (options.prevalence !== undefined && Number.isFinite(options.prevalence)) {
    const y = num(py(options.prevalence));
    out.push(`<line x1="${px(0)}" y1="${y}" x2="${px(1)}" y2="${y}" stroke="#999999" stroke-dasharray="5 4"/>`);
  }
  if (curve.recall.length > 0) {
    // Each step adds a vertex, so half the points keep the path within MAX_PLOT_POINTS vertices.
    const d = pathData(curve.recall, curve.precision, Math.floor(MAX_PLOT_POINTS / 2), true);
    out.push(`<path d="${d}" fill="none" stroke="#d62728" stroke-width="2"/>`);
  }
  out.push('</svg>', '');
  return out.join('\n');
}

export interface ConfusionPlotOptions {
  readonly title?: string;
  /** Names of class 0 and class 1 (escaped); default "negative", "positive". */
  readonly classNames?: readonly [string, string];
  /** Shown under the matrix if given. */
  readonly threshold?: number;
}

const BLUES_LIGHT = [247, 251, 255];
const BLUES_DARK = [8, 48, 107];

function shade(share: number): string {
  const t = Number.isFinite(share) ? clamp01(share) : 0;
  const c = BLUES_LIGHT.map((l, i) => Math.round(l + (BLUES_DARK[i]! - l) * t));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const formatCount = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** 2×2 confusion matrix: rows actual, columns predicted; each cell its count and share of its row. */
export function confusionMatrixSvg(c: ConfusionMatrix, options: ConfusionPlotOptions = {}): string {
  const [neg, pos] = options.classNames ?? ['negative', 'positive'];
  const title = options.title ?? 'Confusion matrix';
  const cell = 140;
  const x0 = 170;
  const y0 = 96;
  const width = x0 + 2 * cell + 30;
  const height = y0 + 2 * cell + 64;
  const out = svgOpen(width, height, title);
  out.push(`<text x="${width / 2}" y="28" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${x0 + cell}" y="${y0 - 38}" text-anchor="middle" font-size="13" fill="#333333">Predicted</text>`);
  out.push(`<text x="24" y="${y0 + cell}" text-anchor="middle" font-size="13" fill="#333333" transform="rotate(-90 24 ${y0 + cell})">Actual</text>`);
  const names = [neg, pos];
  names.forEach((name, j) => {
    out.push(`<text x="${x0 + j * cell + cell / 2}" y="${y0 - 12}" text-anchor="middle" fill="#333333">${escapeXml(name)}</text>`);
    out.push(`<text x="${x0 - 10}" y="${y0 + j * cell + cell / 2 + 4}" text-anchor="end" fill="#333333">${escapeXml(name)}</text>`);
  });
  const rows: [number, number][] = [[c.tn, c.fp], [c.fn, c.tp]];
  rows.forEach((row, i) => {
    const rowTotal = row[0] + row[1];
    row.forEach((count, j) => {
      const share = rowTotal > 0 ? count / rowTotal : Number.NaN;
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      const ink = Number.isFinite(share) && share > 0.5 ? '#ffffff' : '#111111';
      const percent = Number.isFinite(share) ? `${(share * 100).toFixed(1)} %` : 'n/a';
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(share)}" stroke="#ffffff" stroke-width="2"/>`);
      out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 - 4}" text-anchor="middle" font-size="20" font-weight="bold" fill="${ink}">${formatCount(count)}</text>`);
      out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 18}" text-anchor="middle" font-size="12" fill="${ink}">${percent} of row</text>`);
    });
  });
  const n = c.tp + c.fp + c.tn + c.fn;
  const footer = [`n = ${formatCount(n)}`, ...(options.threshold === undefined ? [] : [`threshold ${options.threshold}`])].join(' · ');
  out.push(`<text x="${x0 + cell}" y="${y0 + 2 * cell + 30}" text-anchor="middle" fill="#555555">${escapeXml(footer)}</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
