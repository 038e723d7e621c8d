/** The drift report's picture: well-formed, deterministic, escaped, worst feature on top, panels of the worst three. */
import { describe, expect, it } from 'vitest';
import { type DriftReport, driftReportSvg, LEVEL_COLOURS, MAX_PANEL_BINS, PANEL_FEATURES } from '../../../src/drift/index.ts';
import { elements, parseXml, type XmlElement } from '../evaluation/xml.ts';
import { driftReport } from './report-fixture.ts';

const texts = (svg: string) => elements(parseXml(svg)).filter((e) => e.name === 'text').map((e) => e.text);
const rects = (svg: string) => elements(parseXml(svg)).filter((e): e is XmlElement => e.name === 'rect');

describe('driftReportSvg', () => {
  const report = driftReport({ shift: true });
  const svg = driftReportSvg(report);

  it('is a well-formed standalone SVG, the same bytes for the same report', () => {
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attributes.viewBox).toMatch(/^0 0 900 \d+$/);
    expect(driftReportSvg(structuredClone(report))).toBe(svg);
  });

  it('heads with the level, the batch, the action, the production version and batch F1 vs test F1', () => {
    const all = texts(svg);
    expect(all[0]).toBe('Drift check: MAJOR, batch 3 — action: retrain');
    expect(all[1]).toMatch(/^production HealthPredictModel v2 · batch F1 0\.\d{3} vs test F1 0\.550/);
    expect(all).toContain('minor 0.05');
    expect(all).toContain('moderate 0.15');
    expect(all).toContain('major 0.3');
  });

  it('draws the prediction bar first, then the features worst first, each bar in the colour of its level', () => {
    const all = texts(svg);
    const order = ['predicted probability', 'age', 'code', 'group', 'visits'].map((name) => all.indexOf(name));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const barFills = rects(svg).filter((r) => r.attributes.x === '220' && r.attributes.height === '12').map((r) => r.attributes.fill);
    expect(barFills).toHaveLength(1 + report.features.length);
    expect(barFills.slice(0, 2)).toEqual([LEVEL_COLOURS.MAJOR, LEVEL_COLOURS.MAJOR]);
    expect(barFills.at(-1)).toBe(LEVEL_COLOURS.NONE);
  });

  it(`has a panel for each of the ${PANEL_FEATURES} most drifted features, two columns per shown bin`, () => {
    const all = texts(svg);
    expect(all.filter((t) => / \(PSI \d\.\d{3}\)$/.test(t)).map((t) => t.split(' ')[0])).toEqual(['age', 'code', 'group']);
    const age = report.features.find((f) => f.feature === 'age')!;
    for (const bin of age.bins) expect(all).toContain(bin.label);
    const code = report.features.find((f) => f.feature === 'code')!;
    expect(code.bins.length).toBeGreaterThan(MAX_PANEL_BINS);
    expect(all).toContain(`${MAX_PANEL_BINS} of ${code.bins.length} bins shown (the largest PSI terms)`);
  });

  it('escapes every text from the report: a feature named <&"\'> stays valid XML and reads back unchanged', () => {
    const nasty = `<b a="1">&amp; 'x' ]]>`;
    const renamed: DriftReport = {
      ...report,
      production: { ...report.production, model_name: 'M<&>', version: '"2"' },
      features: report.features.map((f, i) => (i === 0 ? { ...f, feature: nasty, bins: f.bins.map((b, k) => (k === 0 ? { ...b, label: '<x>&' } : b)) } : f)),
      decision: { ...report.decision, score_source: nasty },
      action: { ...report.action, reason: 'a < b & c > "d"\u0001' },
    };
    const out = driftReportSvg(renamed);
    const all = texts(out);
    expect(all).toContain(nasty);
    expect(all).toContain(`${nasty} (PSI ${report.features[0]!.psi.toFixed(3)})`);
    expect(all).toContain('<x>&');
    expect(all).toContain('a < b & c > "d"\ufffd');
    expect(all.some((t) => t.startsWith('production M<&> v"2"'))).toBe(true);
  });

  it('cuts a bar beyond the axis at the edge and says so with its value', () => {
    const huge: DriftReport = { ...report, features: report.features.map((f) => (f.feature === 'age' ? { ...f, psi: 25 } : f)) };
    const all = texts(driftReportSvg(huge));
    expect(all).toContain('25.000 ›');
  });

  it('draws a report without drift, fewer features than panels included', () => {
    const calm = driftReport();
    const one: DriftReport = { ...calm, features: calm.features.slice(0, 1) };
    const out = driftReportSvg(one);
    expect(parseXml(out).name).toBe('svg');
    expect(texts(out)[0]).toBe('Drift check: NONE, batch 3 — action: none');
  });
});
