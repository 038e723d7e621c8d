import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { precisionRecallCurve, rocAuc, rocCurve } from '../../../src/evaluation/metrics.ts';
import { confusionMatrixSvg, escapeXml, MAX_PLOT_POINTS, precisionRecallSvg, rocCurveSvg } from '../../../src/evaluation/plots.ts';
import { ML_PYTHON } from './onnx-fixture.ts';
import { elements, parseXml, XmlError } from './xml.ts';

/** 5 000 rows with distinct scores: curves of ~5 000 points, to be downsampled. */
function data(n = 5000) {
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = (i * 7) % 10 < 3 ? 1 : 0;
    labels.push(y);
    scores.push((0.3 * y + ((i * 2654435761) % 4294967296) / 4294967296) / 1.3);
  }
  return { labels, scores };
}

const { labels, scores } = data();
const roc = rocCurve(labels, scores);
const pr = precisionRecallCurve(labels, scores);
const auc = rocAuc(labels, scores);
const confusion = { tp: 1200, fp: 800, tn: 2700, fn: 300 };

/** Vertex count of an SVG path's data (M/L pairs; H and V each add one). */
function vertices(d: string): number {
  return (d.match(/[MLHV]/g) ?? []).length;
}

function paths(svg: string): string[] {
  return elements(parseXml(svg)).filter((e) => e.name === 'path').map((e) => e.attributes.d!);
}

describe('SVG plots', () => {
  const svgs = {
    roc: rocCurveSvg(roc, { auc }),
    pr: precisionRecallSvg(pr, { averagePrecision: 0.61, prevalence: 0.3 }),
    confusion: confusionMatrixSvg(confusion, { classNames: ['not readmitted', 'readmitted <30'], threshold: 0.42 }),
  };

  it.each(Object.entries(svgs))('%s is a well-formed standalone SVG', (_, svg) => {
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attributes.viewBox).toMatch(/^0 0 \d+ \d+$/);
    expect(svg.length).toBeLessThan(40_000);
  });

  it('the ROC plot has the AUC in its title, the diagonal, and at most 500 curve points', () => {
    const root = parseXml(svgs.roc);
    const title = elements(root).find((e) => e.name === 'title')!.text;
    expect(title).toBe(`ROC curve (AUC = ${auc.toFixed(3)})`);
    expect(elements(root).some((e) => e.name === 'text' && e.text === title)).toBe(true);
    const diagonal = elements(root).find((e) => e.name === 'line' && e.attributes['stroke-dasharray']);
    expect(diagonal?.attributes).toMatchObject({ x1: '70', y1: '416', x2: '430', y2: '56' });
    expect(roc.fpr.length).toBeGreaterThan(MAX_PLOT_POINTS);
    const [d] = paths(svgs.roc);
    expect(vertices(d!)).toBeLessThanOrEqual(MAX_PLOT_POINTS);
    expect(d).toMatch(/^M70 416 /); // starts at (0, 0)
    expect(d).toMatch(/ L430 56$/); // ends at (1, 1)
  });

  it('the PR plot draws steps within 500 vertices, with AP in the title', () => {
    const root = parseXml(svgs.pr);
    expect(elements(root).find((e) => e.name === 'title')!.text).toBe('Precision–recall curve (AP = 0.610)');
    const [d] = paths(svgs.pr);
    expect(vertices(d!)).toBeLessThanOrEqual(MAX_PLOT_POINTS);
    expect(d).toMatch(/^M70 56 /); // recall 0, precision 1
  });

  it('the confusion matrix shows counts and row percentages', () => {
    const texts = elements(parseXml(svgs.confusion)).filter((e) => e.name === 'text').map((e) => e.text);
    for (const t of ['2700', '800', '300', '1200', '77.1 % of row', '22.9 % of row', '20.0 % of row', '80.0 % of row',
      'not readmitted', 'readmitted <30', 'n = 5000 · threshold 0.42']) {
      expect(texts).toContain(t);
    }
    expect(svgs.confusion).toContain('readmitted &lt;30');
  });

  it('is deterministic', () => {
    expect(rocCurveSvg(roc, { auc })).toBe(svgs.roc);
    expect(precisionRecallSvg(pr, { averagePrecision: 0.61, prevalence: 0.3 })).toBe(svgs.pr);
    expect(confusionMatrixSvg(confusion, { classNames: ['not readmitted', 'readmitted <30'], threshold: 0.42 })).toBe(svgs.confusion);
  });

  it('handles empty rows and undefined metrics', () => {
    const empty = confusionMatrixSvg({ tp: 0, fp: 0, tn: 0, fn: 0 });
    expect(elements(parseXml(empty)).filter((e) => e.text === 'n/a of row')).toHaveLength(4);
    expect(parseXml(rocCurveSvg({ fpr: [], tpr: [] }, { auc: Number.NaN })).children.find((e) => e.name === 'title')!.text)
      .toBe('ROC curve (AUC = n/a)');
  });

  it('escapes any caller text (titles, class names) and stays well-formed', () => {
    // Any UTF-16 code units, lone surrogates and control characters included.
    const anyText = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }));
    fc.assert(fc.property(anyText, anyText, (title, name) => {
      for (const svg of [
        rocCurveSvg({ fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] }, { auc: 0.8, title }),
        precisionRecallSvg({ recall: [0, 1], precision: [1, 0.5] }, { title }),
        confusionMatrixSvg({ tp: 1, fp: 2, tn: 3, fn: 4 }, { title, classNames: [name, `${name}!`] }),
      ]) {
        const root = parseXml(svg);
        const shown = root.children.find((e) => e.name === 'title')!.text;
        expect(shown.startsWith(sanitised(title))).toBe(true);
        const labels = elements(root).filter((e) => e.name === 'text').map((e) => e.text);
        if (svg.includes('Confusion')) expect(labels).toContain(sanitised(name));
      }
    }));
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\ud800c')).toBe('a\ufffdb\ufffdc');
  });

  it('the checker itself rejects malformed XML', () => {
    for (const bad of ['<a>', '<a></b>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>x < y</a>', '<a/><b/>', '<a x=1/>', '<a>\u0001</a>']) {
      expect(() => parseXml(bad), bad).toThrow(XmlError);
    }
  });

  it('an independent XML parser (Python expat) accepts every plot', (ctx) => {
    if (!existsSync(ML_PYTHON)) ctx.skip(`no Python at ${ML_PYTHON} (make setup builds .venv/ml)`);
    const script = 'import sys, json, xml.etree.ElementTree as ET\nfor s in json.load(sys.stdin): ET.fromstring(s.encode())\nprint("ok")';
    const run = spawnSync(ML_PYTHON, ['-c', script], { input: JSON.stringify(Object.values(svgs)), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('ok');
  });
});

/** The text as it should read in the SVG: code points XML 1.0 cannot hold replaced by U+FFFD. */
function sanitised(text: string): string {
  let out = '';
  for (const ch of text) { // iterates code points; a lone surrogate comes alone
    const cp = ch.codePointAt(0)!;
    const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    out += ok ? ch : '\ufffd';
  }
  return out;
}
