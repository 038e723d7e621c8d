/**
 * The quality-gate tasks end to end against a real MLflow server, run in-process the way
 * Airflow runs them (HP_INPUT in, last stdout line out): compare_against_production on a real
 * ONNX model and real held-out rows, then register_and_promote_model or log_skip_decision.
 * Each scenario uses its own registered model; its production model got there through the
 * same two tasks (a first run with no production model), so what the promotion tags is
 * what the comparison reads.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSplitRows } from '../../../src/data/read-split.ts';
import { createObjectStore } from '../../../src/data/object-store.ts';
import { createScorer } from '../../../src/evaluation/index.ts';
import { GATE_ENV_VARS } from '../../../src/gates/config.ts';
import { type GateOutcome, gateOutcomeSchema, MODEL_FILE_TAGS } from '../../../src/gates/outcome.ts';
import { GATE_RULE_NAMES } from '../../../src/gates/rules.ts';
import { DEPLOYED_AT_TAG, type MlflowClient, PERIODS_TAG, PREVIOUS_ALIAS, PRODUCTION_ALIAS, type Run, readPeriods } from '../../../src/registry/index.ts';
import compareTask from '../../../src/tasks/compare-against-production.ts';
import logSkipTask from '../../../src/tasks/log-skip-decision.ts';
import promoteTask from '../../../src/tasks/register-and-promote-model.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from '../registry/helpers.ts';
import {
  buildScenarioFixture,
  DAG_ID,
  type Evaluation,
  evaluationOf,
  expectDecisionRun,
  logModelRun,
  METADATA_PATH,
  ONNX_PATH,
  rule,
  runTaskOk,
  type ScenarioFixture,
} from './scenario-fixtures.ts';

const DAY_MS = 86_400_000;

let fixture: ScenarioFixture;
let building: Promise<ScenarioFixture>;
// Registered before useServices' hook, so the model is built while MLflow starts.
beforeAll(() => {
  building = buildScenarioFixture();
  building.catch(() => {}); // awaited (and reported) in the setup hook below
});
const services = useServices(['mlflow']);
let mlflow: MlflowClient;
/** The trained model as it was logged. */
let good: { run: Run; evaluation: Evaluation };
/** The same ONNX bytes logged by another training run: an identical candidate. */
let same: { run: Run; evaluation: Evaluation };
/**
 * The same ONNX with a decision threshold of 1 in its metadata: it predicts nothing positive
 * (F1 0). A threshold of 0.99 would not do: this model still calls one row positive there, a
 * true positive, so its precision of 1.0 would trip the degradation rule for any candidate.
 */
let bad: { run: Run; evaluation: Evaluation };

type Promotion = { model_name: string; version: string; previous_version: string | null; promoted_at: string; reused: boolean; source: string };

const compare = async (evaluation: Evaluation, dagRunId: string, force = false): Promise<GateOutcome> =>
  gateOutcomeSchema.parse(await runTaskOk(compareTask, 'compare_against_production', { evaluation, manifest: fixture.manifest, force_deployment: force }, dagRunId));

const promote = async (outcome: GateOutcome, dagRunId: string, tryNumber = 1) =>
  (await runTaskOk(promoteTask, 'register_and_promote_model', { outcome }, dagRunId, tryNumber)) as Promotion;

const verdicts = (outcome: GateOutcome) => Object.fromEntries(outcome.rules.map((r) => [r.name, r.passed]));

/** A fresh registered model name for one scenario (MODEL_NAME is what every task reads). */
function useModel(prefix: string): string {
  const name = unique(prefix);
  vi.stubEnv('MODEL_NAME', name);
  return name;
}

/** A DAG run (`manual__<label>-…`) of compare_against_production for `model`, against whatever production is by then. */
async function compareIn(label: string, model: { evaluation: Evaluation }, force = false): Promise<{ dagRunId: string; outcome: GateOutcome }> {
  const dagRunId = unique(`manual__${label}`);
  return { dagRunId, outcome: await compare(model.evaluation, dagRunId, force) };
}

/** A first DAG run with no production model: compare → DEPLOY (bootstrap) → register and promote. */
async function deployFirst(model: { evaluation: Evaluation }): Promise<Promotion> {
  const { dagRunId, outcome } = await compareIn('first', model);
  expect(outcome.decision).toBe('DEPLOY');
  return promote(outcome, dagRunId);
}

/** A scenario on a fresh registered model (`gate-<label>`): `deployed` goes to production first, then `candidate` is compared against it. */
async function againstProduction(label: string, deployed: { evaluation: Evaluation }, candidate: { evaluation: Evaluation }, force = false) {
  const name = useModel(`gate-${label}`);
  await deployFirst(deployed);
  return { name, ...(await compareIn(label, candidate, force)) };
}

async function production(name: string) {
  const version = await mlflow.models.getVersionByAlias(name, PRODUCTION_ALIAS);
  return version ? { version: version.version, runId: version.runId, tags: version.tags } : undefined;
}

beforeAll(async () => {
  fixture = await building;
  mlflow = client(services.mlflowUri);
  vi.stubEnv('MLFLOW_TRACKING_URI', services.mlflowUri);
  const experimentName = unique('gate-scenarios');
  vi.stubEnv('MLFLOW_EXPERIMENT_NAME', experimentName);
  // The gates' defaults, whatever the developer's shell exports.
  for (const name of [...Object.values(GATE_ENV_VARS), 'MLFLOW_SYNC_STAGES']) vi.stubEnv(name, undefined);

  const scorer = await createScorer(new Uint8Array(fixture.onnx), fixture.metadata);
  const probabilities = await scorer.score(fixture.rows).finally(() => scorer.dispose());
  const { experimentId } = await mlflow.experiments.getOrCreate(experimentName);
  const logged = async (runName: string, threshold: number) => {
    const run = await logModelRun(mlflow, experimentId, runName, fixture.onnx, { ...fixture.metadata, threshold });
    return { run, evaluation: evaluationOf(run, fixture.labels, probabilities, threshold) };
  };
  [good, same, bad] = await Promise.all([logged('lr-trained', fixture.metadata.threshold), logged('lr-retrained-identical', fixture.metadata.threshold), logged('lr-threshold-1', 1)]);
}, 240_000);

afterAll(() => {
  vi.unstubAllEnvs();
  fixture?.cleanup();
});

describe('the held-out rows', () => {
  it('are the manifest test split, enough for the default min_sample_size, both classes present', async () => {
    const rows = await readSplitRows(createObjectStore(), fixture.manifest.files.test);
    expect(rows).toEqual(fixture.rows);
    expect(rows.length).toBeGreaterThanOrEqual(1_200);
    expect(fixture.manifest.files.test.positives).toBeGreaterThan(100);
    expect(good.evaluation.test.metrics.f1).toBeGreaterThan(0.2); // a real model, not a constant
    expect(bad.evaluation.test.metrics).toMatchObject({ f1: 0, precision: 0, recall: 0, positive_rate: 0 });
  });
});

describe('quality gates against a real MLflow server', () => {
  it('1. no production model → DEPLOY (bootstrap); promotion moves production to the candidate; a retry reuses the version', async () => {
    const name = useModel('gate-first');
    const { dagRunId, outcome } = await compareIn('first', good);

    expect(outcome).toMatchObject({ decision: 'DEPLOY', forced: false, bootstrap_deploy: true, production: null, delta_f1: null, mcnemar_p_value: null, rows: fixture.rows.length });
    expect(verdicts(outcome)).toEqual({ forced: null, sample_size: true, production_exists: false, performance: null, significance: null, degradation: null, staleness: null });
    expect(outcome.reasons).toEqual(['No production model exists yet, so the candidate is deployed as the first production model (bootstrap deployment).']);
    expect(outcome.summary).toMatch(/^Decision: DEPLOY\. The candidate has F1 0\.\d{3} on [\d,]+ held-out rows\. There is no production model yet/);
    expect(outcome.summary).toContain(`on ${fixture.rows.length.toLocaleString('en-US')} held-out rows`);
    expect(outcome.candidate).toMatchObject({ run_id: good.run.info.runId, onnx_path: ONNX_PATH, metadata_path: METADATA_PATH, f1: good.evaluation.test.metrics.f1 });
    expect(outcome.recommendations).toContain('This is the first production model; later candidates are compared against it.');
    const tags = await expectDecisionRun(mlflow, outcome, dagRunId, 'none');
    expect(tags['health_predict.rule.production_exists']).toBe('fail');
    expect(await mlflow.models.get(name)).toBeUndefined(); // deciding registers nothing

    const promoted = await promote(outcome, dagRunId);
    expect(promoted).toMatchObject({ model_name: name, version: '1', previous_version: null, reused: false, source: `${good.run.info.artifactUri}/model` });
    const serving = await production(name);
    expect(serving).toMatchObject({ version: '1', runId: good.run.info.runId });
    expect(serving!.tags).toMatchObject({
      'health_predict.decision': 'DEPLOY',
      'health_predict.bootstrap_deploy': 'true',
      'health_predict.forced': 'false',
      'health_predict.production_f1': 'n/a',
      'health_predict.decision_run_id': outcome.decision_run_id,
      'health_predict.dag_run_id': dagRunId,
      [MODEL_FILE_TAGS.onnx]: ONNX_PATH,
      [MODEL_FILE_TAGS.metadata]: METADATA_PATH,
      [DEPLOYED_AT_TAG]: promoted.promoted_at,
    });

    // Airflow retries the task (e.g. the worker died after the promotion): same version, nothing new.
    const retried = await promote(outcome, dagRunId, 2);
    expect(retried).toEqual({ ...promoted, reused: true });
    expect(await mlflow.models.searchAllVersions({ filter: `name = '${name}'` })).toHaveLength(1);
    expect((await production(name))?.version).toBe('1');
  });

  it('2. an identical candidate → SKIP with reasons and recommendations; production stays; the skip log has every verdict', async () => {
    const { name, dagRunId, outcome } = await againstProduction('identical', good, same);

    expect(outcome).toMatchObject({ decision: 'SKIP', forced: false, bootstrap_deploy: false });
    expect(outcome.production).toMatchObject({ version: '1', run_id: good.run.info.runId });
    expect(outcome.candidate.run_id).toBe(same.run.info.runId);
    // Same model on the same rows: the paired comparison sees no difference at all.
    expect(outcome.candidate.f1).toBe(outcome.production!.f1);
    expect(outcome.production!.f1).toBeCloseTo(good.evaluation.test.metrics.f1, 12);
    expect(outcome.delta_f1).toMatchObject({ estimate: 0, one_sided_lower: 0, p_value: 1, confidence_level: 0.95, resamples: 10_000 });
    expect(outcome.mcnemar_p_value).toBe(1);
    expect(verdicts(outcome)).toEqual({ forced: null, sample_size: true, production_exists: true, performance: false, significance: false, degradation: true, staleness: false });
    expect(outcome.reasons).toContain(rule(outcome, 'performance').detail);
    expect(rule(outcome, 'performance').detail).toMatch(/ΔF1 \+0\.000 does not exceed the improvement threshold 0\.020/);
    expect(outcome.reasons).toContain(rule(outcome, 'significance').detail);
    expect(outcome.summary).toMatch(/^Decision: SKIP\. .* Failing: performance, significance, staleness\.$/);
    expect(outcome.recommendations).toContain('The candidate needs +0.020 F1 to pass the 0.020 improvement threshold (ΔF1 is +0.000).');
    expect(outcome.recommendations.at(-1)).toMatch(/^Next suggested training: \d{4}-\d\d-\d\d \(when the current production model turns 30 days old\)\.$/);
    const tags = await expectDecisionRun(mlflow, outcome, dagRunId, '1');
    expect(tags['health_predict.rule.performance']).toBe('fail');

    expect(await production(name)).toMatchObject({ version: '1', runId: good.run.info.runId });
    expect(await mlflow.models.searchAllVersions({ filter: `name = '${name}'` })).toHaveLength(1);

    const skipped = (await runTaskOk(logSkipTask, 'log_skip_decision', { outcome }, dagRunId)) as { decision: string; verdicts: string[]; recommendations: string[]; next_training_date: string; summary: string };
    expect(skipped.decision).toBe('SKIP');
    expect(skipped.verdicts.map((v) => v.split(':')[0])).toEqual([
      'n/a  forced',
      'PASS sample_size',
      'PASS production_exists',
      'FAIL performance',
      'FAIL significance',
      'PASS degradation',
      'FAIL staleness',
    ]);
    expect(skipped.verdicts[3]).toBe(`FAIL performance: ${rule(outcome, 'performance').detail}`);
    expect(skipped).toMatchObject({ summary: outcome.summary, recommendations: outcome.recommendations, next_training_date: outcome.next_training_date });
  });

  it('3. a clearly better candidate → DEPLOY, significant with p ≈ 0; promotion keeps the old version as previous', async () => {
    const { name, dagRunId, outcome } = await againstProduction('better', bad, good);

    expect(outcome).toMatchObject({ decision: 'DEPLOY', forced: false, bootstrap_deploy: false });
    expect(outcome.production).toMatchObject({ version: '1', run_id: bad.run.info.runId });
    expect(outcome.production).toMatchObject({ f1: 0, precision: 0, recall: 0 });
    expect(outcome.candidate.f1).toBeCloseTo(good.evaluation.test.metrics.f1, 12);
    expect(outcome.delta_f1!.estimate).toBeGreaterThan(0.2);
    expect(outcome.delta_f1!.one_sided_lower).toBeGreaterThan(0.02);
    expect(outcome.delta_f1!.p_value).toBeLessThan(1e-3);
    expect(verdicts(outcome)).toMatchObject({ forced: null, sample_size: true, production_exists: true, performance: true, significance: true, degradation: true });
    expect(rule(outcome, 'significance').values.p_value).toBe(outcome.delta_f1!.p_value);
    expect(rule(outcome, 'significance').detail).toMatch(/: significant;/);
    expect(outcome.reasons).toEqual([rule(outcome, 'performance').detail, rule(outcome, 'significance').detail, rule(outcome, 'degradation').detail]);
    const tags = await expectDecisionRun(mlflow, outcome, dagRunId, '1');
    expect(tags['health_predict.rule.significance']).toBe('pass');

    const promoted = await promote(outcome, dagRunId);
    expect(promoted).toMatchObject({ version: '2', previous_version: '1', reused: false });
    expect(await production(name)).toMatchObject({ version: '2', runId: good.run.info.runId });
    expect((await mlflow.models.get(name))!.aliases).toEqual({ [PRODUCTION_ALIAS]: '2', [PREVIOUS_ALIAS]: '1' });
  });

  it('4. stale production + an equal candidate → DEPLOY_REFRESH', async () => {
    const name = useModel('gate-stale');
    const first = await deployFirst(good);
    // Time passing, as the registry sees it: production's current period began 40 days ago.
    const fortyDaysAgo = new Date(Date.now() - 40 * DAY_MS).toISOString();
    const version = await mlflow.models.getVersion(name, first.version);
    const periods = readPeriods(version).map((p) => (p.to === null ? { ...p, from: fortyDaysAgo } : p));
    await mlflow.models.setVersionTag(name, first.version, PERIODS_TAG, JSON.stringify(periods));
    await mlflow.models.setVersionTag(name, first.version, DEPLOYED_AT_TAG, fortyDaysAgo);

    const { dagRunId, outcome } = await compareIn('stale', same);
    expect(outcome).toMatchObject({ decision: 'DEPLOY_REFRESH', forced: false, bootstrap_deploy: false });
    expect(outcome.production).toMatchObject({ version: '1', promoted_at: fortyDaysAgo });
    expect(outcome.candidate.f1).toBe(outcome.production!.f1);
    expect(verdicts(outcome)).toEqual({ forced: null, sample_size: true, production_exists: true, performance: false, significance: false, degradation: true, staleness: true });
    const staleness = rule(outcome, 'staleness');
    expect(staleness.values.days_since_promotion).toBeGreaterThanOrEqual(40);
    expect(staleness.values.days_since_promotion).toBeLessThan(40.1);
    expect(staleness.detail).toMatch(/^Production version 1 was promoted 40\.0 days ago, more than the 30-day limit, and the candidate's F1 0\.\d{3} is at least production's 0\.\d{3}: a refresh is due\.$/);
    expect(outcome.reasons.slice(0, 2)).toEqual([staleness.detail, rule(outcome, 'degradation').detail]);
    expect(outcome.reasons.slice(2)).toEqual([`Not a plain DEPLOY: ${rule(outcome, 'performance').detail}`, `Not a plain DEPLOY: ${rule(outcome, 'significance').detail}`]);
    expect(outcome.summary).toContain('Production is past its 30-day limit');
    const tags = await expectDecisionRun(mlflow, outcome, dagRunId, '1');
    expect(tags['health_predict.rule.staleness']).toBe('pass');

    const promoted = await promote(outcome, dagRunId);
    expect(promoted).toMatchObject({ version: '2', previous_version: '1' });
    expect(await production(name)).toMatchObject({ version: '2', runId: same.run.info.runId, tags: { 'health_predict.decision': 'DEPLOY_REFRESH' } });
    // The old stint is closed where the new one begins: the audit trail has no gap and no overlap.
    expect(readPeriods(await mlflow.models.getVersion(name, '1'))).toEqual([{ ...periods[0], to: promoted.promoted_at }]);
  });

  it('5. force_deployment → DEPLOY recorded as forced, with what the gates would have said', async () => {
    const { name, dagRunId, outcome } = await againstProduction('forced', good, same, true);

    expect(outcome).toMatchObject({ decision: 'DEPLOY', forced: true, bootstrap_deploy: false });
    expect(verdicts(outcome)).toMatchObject({ forced: true, performance: false, significance: false });
    expect(outcome.reasons.slice(0, 2)).toEqual([
      'force_deployment was set, so the candidate is deployed whatever the other gates say.',
      'Without force_deployment the gates would have decided SKIP:',
    ]);
    expect(outcome.reasons).toContain(rule(outcome, 'performance').detail);
    expect(outcome.summary).toMatch(/^Decision: DEPLOY, forced by force_deployment\. .* Without force the gates would have decided SKIP: /);
    expect(outcome.recommendations).toContain('The deployment was forced past failing gates (performance, significance, staleness): watch the live metrics and be ready to roll back.');
    const tags = await expectDecisionRun(mlflow, outcome, dagRunId, '1');
    expect(tags['health_predict.rule.forced']).toBe('pass');

    const promoted = await promote(outcome, dagRunId);
    expect(promoted).toMatchObject({ version: '2', previous_version: '1' });
    const serving = await production(name);
    expect(serving).toMatchObject({ version: '2', runId: same.run.info.runId, tags: { 'health_predict.decision': 'DEPLOY', 'health_predict.forced': 'true' } });
    expect(readPeriods((await mlflow.models.getVersion(name, '2'))).at(-1)!.reason).toBe(`promoted, decision DEPLOY (forced), dag run ${DAG_ID}/${dagRunId}`);
  });

  it('6. fewer held-out rows than MIN_SAMPLE_SIZE → SKIP, even with no production model to bootstrap', async () => {
    const name = useModel('gate-few-rows');
    const needed = fixture.rows.length + 500;
    vi.stubEnv('MIN_SAMPLE_SIZE', String(needed));
    try {
      const { dagRunId, outcome } = await compareIn('few-rows', good);

      expect(outcome).toMatchObject({ decision: 'SKIP', forced: false, bootstrap_deploy: false, production: null });
      expect(verdicts(outcome)).toMatchObject({ sample_size: false, production_exists: false });
      const sample = rule(outcome, 'sample_size');
      expect(sample.values).toEqual({ n_rows: fixture.rows.length, min_sample_size: needed });
      const have = fixture.rows.length.toLocaleString('en-US');
      expect(sample.detail).toBe(`Only ${have} labelled rows to compare on, need ${needed.toLocaleString('en-US')} (min_sample_size).`);
      expect(outcome.reasons).toEqual([sample.detail]);
      expect(outcome.recommendations[0]).toBe(`Only ${have} labelled rows were available; collect at least 500 more (min_sample_size ${needed.toLocaleString('en-US')}) before the next comparison.`);
      const tags = await expectDecisionRun(mlflow, outcome, dagRunId, 'none');
      expect(tags['health_predict.rule.sample_size']).toBe('fail');
      expect(await mlflow.models.get(name)).toBeUndefined();

      const skipped = (await runTaskOk(logSkipTask, 'log_skip_decision', { outcome }, dagRunId)) as { verdicts: string[] };
      expect(skipped.verdicts).toHaveLength(GATE_RULE_NAMES.length);
      expect(skipped.verdicts[1]).toBe(`FAIL sample_size: ${sample.detail}`);
    } finally {
      vi.stubEnv('MIN_SAMPLE_SIZE', undefined);
    }
  });
});
