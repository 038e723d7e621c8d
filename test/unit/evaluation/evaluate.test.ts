import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { evaluateModel, evaluateScores, evaluationResultSchema, labelsFromRows, type EvaluationResult } from '../../../src/evaluation/evaluate.ts';
import { createScorer, type Scorer } from '../../../src/evaluation/onnx-scorer.ts';
import { confusionMatrixSvg, precisionRecallSvg, rocCurveSvg } from '../../../src/evaluation/plots.ts';
import { buildOnnxFixture, type OnnxFixture } from './onnx-fixture.ts';
import { parseXml } from './xml.ts';

let fx: OnnxFixture;
let scorer: Scorer;
let labels: Uint8Array;
let result: EvaluationResult;

beforeAll(async () => {
  fx = buildOnnxFixture();
  scorer = await createScorer(fx.modelPath, fx.metadata);
  labels = labelsFromRows(fx.rows, fx.target);
  result = await evaluateModel({ scorer, rows: fx.rows, labels, threshold: scorer.threshold, bootstrap: { resamples: 1000, seed: 7, level: 0.95 } });
});
afterAll(async () => {
  await scorer?.dispose();
  fx?.cleanup();
});

describe('evaluateModel on a real ONNX model', () => {
  it('point metrics match scikit-learn on the same rows', () => {
    const sk = fx.expected.metrics;
    expect(result.threshold).toBe(0.42);
    expect(result.metrics.n).toBe(fx.rows.length);
    expect(result.metrics.f1).toBeCloseTo(sk.f1, 10);
    expect(result.metrics.precision).toBeCloseTo(sk.precision, 10);
    expect(result.metrics.recall).toBeCloseTo(sk.recall, 10);
    expect(result.metrics.accuracy).toBeCloseTo(sk.accuracy, 10);
    // Ranks from float32 ONNX probabilities vs float64 sklearn ones: equal unless two rows nearly tie.
    expect(result.metrics.roc_auc).toBeCloseTo(sk.roc_auc, 4);
    expect(result.metrics.average_precision).toBeCloseTo(sk.average_precision, 4);
    const { tp, fp, tn, fn } = result.confusion;
    expect(tp + fp + tn + fn).toBe(fx.rows.length);
    expect(result.metrics.n_positive).toBe(tp + fn);
    expect(result.metrics.positive_rate).toBeCloseTo((tp + fp) / fx.rows.length, 12);
    expect(result.metrics.prevalence).toBeCloseTo(labels.reduce((a, b) => a + b, 0) / labels.length, 12);
  });

  it('bootstrap intervals contain the point estimates', () => {
    for (const key of ['f1', 'precision', 'recall', 'roc_auc'] as const) {
      const [lo, hi] = result.ci[key];
      expect(lo).toBeLessThanOrEqual(result.metrics[key]);
      expect(hi).toBeGreaterThanOrEqual(result.metrics[key]);
      expect(hi - lo).toBeGreaterThan(0);
      expect(result.bootstrap.valid_resamples[key]).toBe(1000);
    }
    expect(result.bootstrap).toMatchObject({ resamples: 1000, seed: 7, level: 0.95 });
  });

  it('is deterministic for a seed', async () => {
    const again = await evaluateModel({ scorer, rows: fx.rows, labels, bootstrap: { resamples: 1000, seed: 7 } });
    expect(again).toEqual(result);
    const other = await evaluateModel({ scorer, rows: fx.rows, labels, bootstrap: { resamples: 1000, seed: 8 } });
    expect(other.metrics).toEqual(result.metrics);
    expect(other.ci).not.toEqual(result.ci);
  });

  it('the result is small JSON that survives a round trip through the schema (XCom)', () => {
    const json = JSON.stringify(result);
    expect(json.length).toBeLessThan(32_000);
    const back = evaluationResultSchema.parse(JSON.parse(json));
    expect(back).toEqual(result);
    expect(result.curves.roc.thresholds[0]).toBeNull(); // +Infinity
    expect(result.curves.pr.thresholds[0]).toBeNull();
    expect(result.curves.roc.fpr.length).toBeLessThanOrEqual(200);
    expect([result.curves.roc.fpr.at(-1), result.curves.roc.tpr.at(-1)]).toEqual([1, 1]);
    expect([result.curves.pr.recall[0], result.curves.pr.precision[0]]).toEqual([0, 1]);
  });

  it('renders the three plots from the result', () => {
    const svgs = {
      'roc.svg': rocCurveSvg(result.curves.roc, { auc: result.metrics.roc_auc, title: 'lr' }),
      'pr.svg': precisionRecallSvg(result.curves.pr, { averagePrecision: result.metrics.average_precision, prevalence: result.metrics.prevalence }),
      'confusion.svg': confusionMatrixSvg(result.confusion, { threshold: result.threshold }),
    };
    for (const [name, svg] of Object.entries(svgs)) {
      expect(parseXml(svg).name).toBe('svg');
      writeFileSync(path.join(fx.dir, name), svg);
    }
  });
});

describe('evaluation inputs', () => {
  const stub = (scores: number[], threshold?: number) => ({ threshold, score: async () => Float64Array.from(scores) });
  const rows = [{}, {}, {}, {}];

  it('evaluateScores works on given scores (no model) and takes the scorer threshold by default', async () => {
    const r = await evaluateModel({ scorer: stub([0.1, 0.6, 0.4, 0.9], 0.5), rows, labels: [0, 1, 1, 0], bootstrap: { resamples: 50 } });
    expect(r.confusion).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
    expect(r.metrics.roc_auc).toBe(0.5);
    expect(r).toEqual(evaluateScores([0, 1, 1, 0], [0.1, 0.6, 0.4, 0.9], { threshold: 0.5, bootstrap: { resamples: 50 } }));
  });

  it('refuses one-class labels, mismatched lengths and a missing threshold', async () => {
    await expect(evaluateModel({ scorer: stub([0.1, 0.2, 0.3, 0.4], 0.5), rows, labels: [0, 0, 0, 0] }))
      .rejects.toThrow(/needs both classes, but the 4 labels hold 0 positives and 4 negatives/);
    await expect(evaluateModel({ scorer: stub([0.1, 0.2, 0.3, 0.4], 0.5), rows, labels: [0, 1] })).rejects.toThrow(BadDataError);
    await expect(evaluateModel({ scorer: stub([0.1, 0.2, 0.3, 0.4]), rows, labels: [0, 1, 0, 1] })).rejects.toThrow(/no threshold/);
  });

  it('labelsFromRows reads 0/1 targets and names a bad row', () => {
    expect(Array.from(labelsFromRows([{ y: '1' }, { y: 0 }, { y: ' 0 ' }, { y: 1 }], 'y'))).toEqual([1, 0, 0, 1]);
    expect(() => labelsFromRows([{ y: '1' }, { y: 'yes' }], 'y')).toThrow(/row 1, target column "y": "yes" is not a 0\/1 label/);
    expect(() => labelsFromRows([{ x: '1' }], 'y')).toThrow(/row 0, target column "y": missing/);
  });
});
