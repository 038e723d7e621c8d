/**
 * The picture of bench:loop: F1 of the production model and of the never-retrained baseline on
 * each arriving batch, one line each with a marker per batch, and a dashed line after every batch
 * that ended with a new model promoted. Built from src/evaluation/plots.ts's pieces (the SVG
 * opening, escaping, number formatting) so it looks like the pipeline's other charts; the y axis
 * spans the F1 values seen, in steps of 0.05.
 */
import { escapeXml, formatMetric, num, svgOpen } from '../src/evaluation/plots.ts';

export interface LoopPoint {
  readonly index: number;
  readonly production_f1: number;
  readonly baseline_f1: number;
}

/** Production and baseline F1 per batch, a dashed line after each batch that ended with a deploy. */
export function loopSvg(points: readonly LoopPoint[], deploys: readonly { after: number; version: string }[]): string {
  const [width, left, top, plotW, plotH] = [640, 70, 56, 530, 280];
  const legendY = top + plotH + 66;
  const height = legendY + 40;
  const values = points.flatMap((p) => [p.production_f1, p.baseline_f1]);
  const lo = Math.max(0, Math.floor((Math.min(...values) - 0.01) * 20) / 20);
  const hi = Math.min(1, Math.ceil((Math.max(...values) + 0.01) * 20) / 20);
  const n = Math.max(points.length, 2);
  const x = (index: number) => left + ((index - 1) / (n - 1)) * plotW;
  const y = (value: number) => top + (1 - (value - lo) / (hi - lo)) * plotH;
  const title = 'F1 on each arriving batch: production vs never-retrained baseline';
  const out = svgOpen(width, height, title);
  out.push(`<text x="${width / 2}" y="28" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`);
  for (let t = 0; t <= 5; t++) {
    const v = lo + ((hi - lo) * t) / 5;
    out.push(`<line x1="${left}" y1="${num(y(v))}" x2="${left + plotW}" y2="${num(y(v))}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${left - 8}" y="${num(y(v) + 4)}" text-anchor="end" fill="#333333">${v.toFixed(3)}</text>`);
  }
  for (const p of points) out.push(`<text x="${num(x(p.index))}" y="${top + plotH + 18}" text-anchor="middle" fill="#333333">${p.index}</text>`);
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 42}" text-anchor="middle" font-size="13">batch</text>`);
  out.push(`<text x="22" y="${top + plotH / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 22 ${top + plotH / 2})">F1</text>`);
  for (const deploy of deploys) {
    const dx = num(x(Math.min(deploy.after + 0.5, n)));
    out.push(`<line x1="${dx}" y1="${top}" x2="${dx}" y2="${top + plotH}" stroke="#2ca02c" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${dx}" y="${top - 6}" text-anchor="middle" fill="#2ca02c">${escapeXml(`v${deploy.version}`)}</text>`);
  }
  // The baseline under production, wider, so the two stay visible where they coincide.
  const series = [
    { label: 'baseline (never retrained)', colour: '#d62728', key: 'baseline_f1' as const, width: 4 },
    { label: 'production', colour: '#1f77b4', key: 'production_f1' as const, width: 2 },
  ];
  series.forEach((s, i) => {
    out.push(`<path d="${points.map((p, k) => `${k === 0 ? 'M' : 'L'}${num(x(p.index))} ${num(y(p[s.key]))}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="${s.width}"/>`);
    for (const p of points) out.push(`<circle cx="${num(x(p.index))}" cy="${num(y(p[s.key]))}" r="3" fill="${s.colour}"/>`);
    const ly = legendY + i * 18;
    const average = points.reduce((sum, p) => sum + p[s.key], 0) / points.length;
    out.push(`<line x1="${left}" y1="${ly - 4}" x2="${left + 24}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="3"/>`);
    out.push(`<text x="${left + 30}" y="${ly}">${escapeXml(`${s.label} (mean ${formatMetric(average, 4)})`)}</text>`);
  });
  out.push(`<text x="${left + plotW}" y="${legendY + 18}" text-anchor="end" fill="#2ca02c">${escapeXml('dashed: a new model promoted after the batch')}</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
