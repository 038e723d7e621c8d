/** The health check's verdict and prediction validation (pure parts of src/k8s/health-check.ts). */
import { describe, expect, it } from 'vitest';
import { type Probe, checkPrediction, summarise } from '../../../src/k8s/health-check.ts';

const budget = { p95BudgetMs: 100, maxErrorRate: 0.05, minRequests: 10 };
const ok = (kind: Probe['kind'], ms: number): Probe => ({ kind, ok: true, ms, status: 200 });

describe('summarise', () => {
  it('passes with enough probes inside every budget', () => {
    const probes = Array.from({ length: 20 }, (_, i) => ok(i % 2 ? 'predict' : 'health', 10 + i));
    const summary = summarise(probes, budget, 5_000);
    expect(summary).toMatchObject({ passed: true, requests: 20, failed: 0, health_requests: 10, predict_requests: 10, predict_p95_ms: 29, window_s: 5, problems: [] });
  });

  it('no data is a failure, never a pass', () => {
    const summary = summarise([], budget, 5_000);
    expect(summary.passed).toBe(false);
    expect(summary.error_rate).toBe(1);
    expect(summary.problems).toContain('only 0 probes in the window, fewer than the 10 required to judge (no data is a failure)');
    expect(summary.problems).toContain('no successful prediction in the window');
  });

  it('fails on the error rate and names the failures', () => {
    const failure: Probe = { kind: 'predict', ok: false, ms: 3, status: 500, detail: 'HTTP 500: boom' };
    const probes = [...Array.from({ length: 17 }, () => ok('health', 5)), failure, failure, ok('predict', 5)];
    const summary = summarise(probes, budget, 1_000);
    expect(summary.passed).toBe(false);
    expect(summary.problems).toEqual(['error rate 10.00 % (2 of 20) is over the 5.00 % budget']);
    expect(summary.failed).toBe(2);
    expect(summary.sample_failures).toEqual(['predict: HTTP 500: boom']);
  });

  it('fails on p95 latency of /predict over budget', () => {
    const probes = Array.from({ length: 20 }, (_, i) => ok('predict', i < 18 ? 20 : 500));
    const summary = summarise(probes, budget, 1_000);
    expect(summary.passed).toBe(false);
    expect(summary.problems).toEqual(['p95 latency of /predict 500 ms is over the 100 ms budget']);
  });
});

describe('checkPrediction', () => {
  it('accepts a valid prediction of the expected version and rejects everything else', () => {
    expect(checkPrediction(200, JSON.stringify({ prediction: 1, probability_score: 0.7, model_version: '3' }), '3')).toBeUndefined();
    expect(checkPrediction(500, 'boom', '3')).toBe('HTTP 500: boom');
    expect(checkPrediction(200, 'nope', '3')).toBe('non-JSON body: nope');
    expect(checkPrediction(200, JSON.stringify({ prediction: 2, probability_score: 0.7, model_version: '3' }), '3')).toBe('prediction 2 is not 0 or 1');
    expect(checkPrediction(200, JSON.stringify({ prediction: 0, probability_score: 1.5, model_version: '3' }), '3')).toBe('probability_score 1.5 is not in [0, 1]');
    expect(checkPrediction(200, JSON.stringify({ prediction: 0, probability_score: 0.1, model_version: '2' }), '3')).toBe('served by model version 2, expected 3');
  });
});
