/**
 * The post-deployment health check: for a window, rounds of one GET /health and one POST
 * /predict through the service proxy; a probe fails on a network error, a non-200 answer or a
 * prediction that is not {prediction 0|1, probability_score in [0,1], model_version = expected}.
 * Verdict: enough probes, error rate within budget, p95 of /predict latency within budget. Too
 * few probes is a failure ("no data" never passes). summarise() is pure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { percentile } from '../api-checks/http.ts';
import type { HealthCheckBudget } from './config.ts';
import type { Cluster } from './client.ts';
import { probeRecords } from './probe-records.ts';

export interface Probe {
  kind: 'health' | 'predict';
  ok: boolean;
  ms: number;
  status: number;
  detail?: string;
}

export const healthCheckSummarySchema = z.object({
  passed: z.boolean(),
  requests: z.number().int(),
  failed: z.number().int(),
  error_rate: z.number(),
  health_requests: z.number().int(),
  predict_requests: z.number().int(),
  predict_p50_ms: z.number().nullable(),
  predict_p95_ms: z.number().nullable(),
  window_s: z.number(),
  problems: z.array(z.string()),
  /** Up to five distinct failure details. */
  sample_failures: z.array(z.string()),
});
export type HealthCheckSummary = z.infer<typeof healthCheckSummarySchema>;

const round = (value: number) => Math.round(value * 10) / 10;

export function summarise(probes: readonly Probe[], budget: Omit<HealthCheckBudget, 'windowMs' | 'intervalMs'>, windowMs: number): HealthCheckSummary {
  const failed = probes.filter((p) => !p.ok);
  const predictLatencies = probes.filter((p) => p.kind === 'predict' && p.ok).map((p) => p.ms).sort((a, b) => a - b);
  const errorRate = probes.length ? failed.length / probes.length : 1;
  const p95 = predictLatencies.length ? percentile(predictLatencies, 95) : null;
  const problems: string[] = [];
  if (probes.length < budget.minRequests) problems.push(`only ${probes.length} probes in the window, fewer than the ${budget.minRequests} required to judge (no data is a failure)`);
  if (predictLatencies.length === 0) problems.push('no successful prediction in the window');
  if (errorRate > budget.maxErrorRate) problems.push(`error rate ${(errorRate * 100).toFixed(2)} % (${failed.length} of ${probes.length}) is over the ${(budget.maxErrorRate * 100).toFixed(2)} % budget`);
  if (p95 !== null && p95 > budget.p95BudgetMs) problems.push(`p95 latency of /predict ${p95.toFixed(0)} ms is over the ${budget.p95BudgetMs} ms budget`);
  return {
    passed: problems.length === 0,
    requests: probes.length,
    failed: failed.length,
    error_rate: Number(errorRate.toFixed(4)),
    health_requests: probes.filter((p) => p.kind === 'health').length,
    predict_requests: probes.filter((p) => p.kind === 'predict').length,
    predict_p50_ms: predictLatencies.length ? round(percentile(predictLatencies, 50)) : null,
    predict_p95_ms: p95 === null ? null : round(p95),
    window_s: round(windowMs / 1000),
    problems,
    sample_failures: [...new Set(failed.map((p) => `${p.kind}: ${p.detail ?? `HTTP ${p.status}`}`))].slice(0, 5),
  };
}

export function checkPrediction(status: number, body: string, modelVersion: string): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${body.slice(0, 160)}`;
  let parsed: { prediction?: unknown; probability_score?: unknown; model_version?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return `non-JSON body: ${body.slice(0, 120)}`;
  }
  if (parsed.prediction !== 0 && parsed.prediction !== 1) return `prediction ${JSON.stringify(parsed.prediction)} is not 0 or 1`;
  if (typeof parsed.probability_score !== 'number' || !(parsed.probability_score >= 0 && parsed.probability_score <= 1)) return `probability_score ${JSON.stringify(parsed.probability_score)} is not in [0, 1]`;
  if (String(parsed.model_version) !== modelVersion) return `served by model version ${String(parsed.model_version)}, expected ${modelVersion}`;
  return undefined;
}

export interface HealthCheckTarget {
  namespace: string;
  service: string;
  port?: string;
  modelVersion: string;
  budget: HealthCheckBudget;
  requestTimeoutMs?: number;
  log?: { info(obj: object, msg: string): void };
}


export async function runHealthCheck(cluster: Cluster, target: HealthCheckTarget): Promise<HealthCheckSummary> {
  const { namespace, service, budget } = target;
  const port = target.port ?? 'http';
  const records = probeRecords();
  const probes: Probe[] = [];
  const started = performance.now();
  const end = started + budget.windowMs;
  let nextLog = started + 10_000;
  const probe = async (kind: Probe['kind'], path: string, json?: unknown, check?: (status: number, body: string) => string | undefined): Promise<void> => {
    try {
      const answer = await cluster.serviceProxy(namespace, service, port, path, { json, timeoutMs: target.requestTimeoutMs });
      const detail = check ? check(answer.status, answer.body) : answer.status === 200 ? undefined : `HTTP ${answer.status}: ${answer.body.slice(0, 160)}`;
      probes.push({ kind, ok: detail === undefined, ms: answer.ms, status: answer.status, ...(detail ? { detail } : {}) });
    } catch (error) {
      probes.push({ kind, ok: false, ms: 0, status: 0, detail: `request failed: ${(error as Error).message}` });
    }
  };
  for (let round = 0; performance.now() < end; round++) {
    await probe('health', '/health');
    await probe('predict', '/predict', records[round % records.length], (status, body) => checkPrediction(status, body, target.modelVersion));
    if (performance.now() >= nextLog) {
      nextLog += 10_000;
      const failed = probes.filter((p) => !p.ok).length;
      target.log?.info({ requests: probes.length, failed, elapsed_s: Math.round((performance.now() - started) / 1000) }, `health check: ${probes.length} probes, ${failed} failed so far`);
    }
    if (budget.intervalMs > 0) await sleep(Math.min(budget.intervalMs, Math.max(0, end - performance.now())));
  }
  return summarise(probes, budget, performance.now() - started);
}
