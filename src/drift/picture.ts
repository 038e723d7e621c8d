/**
 * The drift report as one standalone SVG, for a person: a horizontal bar chart of every
 * feature's PSI (worst at the top) and of the predicted probabilities' PSI, bars coloured by
 * level, the minor / moderate / major thresholds as labelled lines; a heading with the
 * decision, the batch, the production version and its F1 on the batch against its test F1; and
 * under it, for the three most drifted features, the reference's and the batch's share of rows
 * in each bin.
 *
 * Drawn like the evaluation charts (src/evaluation/plots.ts: same helpers, font and palette),
 * and like them deterministic — the same report renders byte-identical markup — with every
 * text from the report escaped.
 */
import { escapeXml, formatMetric, num, svgOpen } from '../evaluation/plots.ts';
import type { DriftThresholds } from './config.ts';
import { type DriftLevel, levelOf } from './decide.ts';
import type { PsiBin } from './psi.ts';
import type { DriftReport } from './report.ts';

/** How many of the most drifted features get a panel of their bins. */
export const PANEL_FEATURES = 3;
/** Bins drawn per panel at most: beyond that, the bins with the largest PSI terms. */
export const MAX_PANEL_BINS = 16;

export const LEVEL_COLOURS: Record<DriftLevel, string> = { NONE: '#8cc084', MINOR: '#f2c14e', MODERATE: '#f28e2b', MAJOR: '#d62728' };
const REFERENCE_COLOUR = '#1f77b4';
const BATCH_COLOUR = '#ff7f0e';
const INK = '#333333';
const MUTED = '#555555';

const WIDTH = 900;
const LABEL_RIGHT = 210; // feature names end here
const X0 = 220; // bar chart's PSI 0
const X1 = WIDTH - 80; // its right edge (room for the value labels)
const CHART_TOP = 136;
const ROW = 18;
const BAR = 12;
const GAP = 10; // between the prediction's bar and the features'

/** The PSI axis runs to at least 1.5 × major, and past the largest PSI up to 4 × major; longer bars are cut at the edge. */
function axisMax(report: DriftReport): number {
  const largest = Math.max(report.prediction.psi, ...report.features.map((f) => f.psi));
  return Math.max(report.thresholds.major * 1.5, Math.min(largest * 1.05, report.thresholds.major * 4));
}

const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10];
const tickStep = (max: number) => STEPS.find((step) => max / step <= 6) ?? max / 6;

/** At most `max` characters (code points), an ellipsis marking a cut. */
function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export function driftReportSvg(report: DriftReport): string {
  const { decision, performance, production, batch, thresholds } = report;
  const features = [...report.features].sort((a, b) => b.psi - a.psi || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
  const chartBottom = CHART_TOP + ROW + GAP + features.length * ROW;
  const panelTop = chartBottom + 100;
  const height = panelTop + 250;
  const title = `Drift check: ${decision.level}, batch ${batch.index}`;
  const out = svgOpen(WIDTH, height, title);

  out.push(`<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(`${title} — action: ${report.action.action}`)}</text>`);
  const lines = [
    `production ${production.model_name} v${production.version} · batch F1 ${formatMetric(performance.batch_f1)} vs test F1 ${formatMetric(performance.reference_f1)} (drop ${formatMetric(decision.f1_drop)})`,
    `score ${formatMetric(decision.score)} from ${decision.score_source === 'prediction' ? 'the predicted probabilities' : `'${decision.score_source}'`} · ${batch.rows} batch rows vs ${production.reference_rows} reference rows · ${report.created_at}`,
    clip(report.action.reason, 150),
  ];
  lines.forEach((line, i) => out.push(`<text x="${WIDTH / 2}" y="${50 + i * 16}" text-anchor="middle" fill="${MUTED}">${escapeXml(line)}</text>`));

  const max = axisMax(report);
  const x = (psi: number) => X0 + (Math.min(psi, max) / max) * (X1 - X0);
  out.push(...thresholdLines(thresholds, x, chartBottom));

  const bar = (y: number, label: string, psi: number, italic: boolean) => {
    const colour = LEVEL_COLOURS[levelOf(psi, thresholds)];
    const style = italic ? ' font-style="italic"' : '';
    out.push(`<text x="${LABEL_RIGHT}" y="${num(y + BAR - 2)}" text-anchor="end" fill="${INK}"${style}>${escapeXml(clip(label, 32))}</text>`);
    out.push(`<rect x="${X0}" y="${num(y)}" width="${num(Math.max(x(psi) - X0, 1))}" height="${BAR}" fill="${colour}"/>`);
    const cut = psi > max ? ' ›' : '';
    out.push(`<text x="${num(x(psi) + 4)}" y="${num(y + BAR - 2)}" font-size="10" fill="${INK}">${escapeXml(`${formatMetric(psi)}${cut}`)}</text>`);
  };
  bar(CHART_TOP + 3, 'predicted probability', report.prediction.psi, true);
  out.push(`<line x1="20" y1="${CHART_TOP + ROW + GAP / 2}" x2="${WIDTH - 20}" y2="${CHART_TOP + ROW + GAP / 2}" stroke="#e3e3e3"/>`);
  features.forEach((f, i) => bar(CHART_TOP + ROW + GAP + i * ROW + 3, f.feature, f.psi, false));
  out.push(...psiAxis(max, x, chartBottom));

  const worst = features.slice(0, PANEL_FEATURES);
  out.push(`<text x="20" y="${panelTop - 24}" font-size="13" font-weight="bold" fill="${INK}">The most drifted features: share of rows per bin</text>`);
  out.push(`<rect x="${WIDTH - 250}" y="${panelTop - 34}" width="12" height="12" fill="${REFERENCE_COLOUR}"/>`);
  out.push(`<text x="${WIDTH - 234}" y="${panelTop - 24}" fill="${INK}">reference</text>`);
  out.push(`<rect x="${WIDTH - 160}" y="${panelTop - 34}" width="12" height="12" fill="${BATCH_COLOUR}"/>`);
  out.push(`<text x="${WIDTH - 144}" y="${panelTop - 24}" fill="${INK}">batch ${batch.index}</text>`);
  const panelWidth = (WIDTH - 40 - (PANEL_FEATURES - 1) * 30) / PANEL_FEATURES;
  worst.forEach((f, i) => out.push(...binPanel(`${f.feature} (PSI ${formatMetric(f.psi)})`, f.bins, 20 + i * (panelWidth + 30), panelTop, panelWidth)));

  out.push('</svg>', '');
  return out.join('\n');
}

/** Dashed vertical lines at the three thresholds, labelled on staggered lines above the chart so they never overlap. */
function thresholdLines(thresholds: DriftThresholds, x: (psi: number) => number, bottom: number): string[] {
  const lines: [string, number, string][] = [
    ['minor', thresholds.minor, '#c9a227'],
    ['moderate', thresholds.moderate, LEVEL_COLOURS.MODERATE],
    ['major', thresholds.major, LEVEL_COLOURS.MAJOR],
  ];
  return lines.flatMap(([name, value, colour], i) => {
    const at = num(x(value));
    const labelY = CHART_TOP - 34 + i * 12;
    return [
      `<line x1="${at}" y1="${labelY + 3}" x2="${at}" y2="${bottom}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<text x="${num(x(value) + 4)}" y="${labelY}" font-size="10" fill="${colour}">${escapeXml(`${name} ${value}`)}</text>`,
    ];
  });
}

function psiAxis(max: number, x: (psi: number) => number, bottom: number): string[] {
  const out = [`<g fill="${INK}" font-size="10">`, `<line x1="${X0}" y1="${bottom + 4}" x2="${X1}" y2="${bottom + 4}" stroke="${INK}"/>`];
  const step = tickStep(max);
  for (let k = 0; k * step <= max + 1e-12; k++) {
    const value = Number((k * step).toPrecision(6));
    out.push(`<line x1="${num(x(value))}" y1="${bottom + 4}" x2="${num(x(value))}" y2="${bottom + 8}" stroke="${INK}"/>`);
    out.push(`<text x="${num(x(value))}" y="${bottom + 20}" text-anchor="middle">${value}</text>`);
  }
  out.push(`<text x="${(X0 + X1) / 2}" y="${bottom + 38}" text-anchor="middle" font-size="12">PSI (population stability index) — bar colour: its level</text>`);
  out.push('</g>');
  return out;
}

/** The bins to draw: all of them, or the MAX_PANEL_BINS with the largest PSI terms, kept in their order. */
function shownBins(bins: readonly PsiBin[]): PsiBin[] {
  if (bins.length <= MAX_PANEL_BINS) return [...bins];
  const keep = new Set(
    bins
      .map((bin, i) => ({ psi: bin.psi, i }))
      .sort((a, b) => b.psi - a.psi || a.i - b.i)
      .slice(0, MAX_PANEL_BINS)
      .map(({ i }) => i),
  );
  return bins.filter((_, i) => keep.has(i));
}

/** Reference and batch share of each bin as paired columns, bin labels slanted underneath. */
function binPanel(title: string, bins: readonly PsiBin[], left: number, top: number, width: number): string[] {
  const shown = shownBins(bins);
  const plotTop = top + 22;
  const plotHeight = 120;
  const base = plotTop + plotHeight;
  const axisLeft = left + 34;
  const slot = (width - 34) / shown.length;
  const barWidth = Math.max(1, Math.min(14, (slot - 4) / 2));
  const top100 = Math.max(...shown.flatMap((b) => [b.ref_share, b.batch_share]), 0.01);
  const y = (share: number) => base - (share / top100) * plotHeight;
  const out = [
    `<text x="${num(left)}" y="${top + 8}" font-size="12" font-weight="bold" fill="${INK}">${escapeXml(clip(title, 36))}</text>`,
    `<line x1="${num(axisLeft)}" y1="${num(y(top100 / 2))}" x2="${num(left + width)}" y2="${num(y(top100 / 2))}" stroke="#e3e3e3"/>`,
    `<line x1="${num(axisLeft)}" y1="${num(plotTop)}" x2="${num(left + width)}" y2="${num(plotTop)}" stroke="#e3e3e3"/>`,
    `<line x1="${num(axisLeft)}" y1="${base}" x2="${num(left + width)}" y2="${base}" stroke="${INK}"/>`,
    `<text x="${num(axisLeft - 4)}" y="${num(plotTop + 4)}" text-anchor="end" font-size="9" fill="${MUTED}">${(top100 * 100).toFixed(0)} %</text>`,
    `<text x="${num(axisLeft - 4)}" y="${base + 3}" text-anchor="end" font-size="9" fill="${MUTED}">0</text>`,
  ];
  shown.forEach((bin, i) => {
    const centre = axisLeft + (i + 0.5) * slot;
    out.push(`<rect x="${num(centre - barWidth)}" y="${num(y(bin.ref_share))}" width="${num(barWidth)}" height="${num(base - y(bin.ref_share))}" fill="${REFERENCE_COLOUR}"/>`);
    out.push(`<rect x="${num(centre)}" y="${num(y(bin.batch_share))}" width="${num(barWidth)}" height="${num(base - y(bin.batch_share))}" fill="${BATCH_COLOUR}"/>`);
    const ly = base + 10;
    out.push(`<text x="${num(centre)}" y="${ly}" text-anchor="end" font-size="9" fill="${INK}" transform="rotate(-50 ${num(centre)} ${ly})">${escapeXml(clip(bin.label, 14))}</text>`);
  });
  if (shown.length < bins.length) {
    out.push(`<text x="${num(left + width)}" y="${base + 72}" text-anchor="end" font-size="9" fill="${MUTED}">${shown.length} of ${bins.length} bins shown (the largest PSI terms)</text>`);
  }
  return out;
}
