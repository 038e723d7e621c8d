import { describe, expect, it } from 'vitest';
import { DEPLOY_TARGETS, deployStageSkipReason, skippedStages } from '../../../src/pipeline/contract/deploy-target.ts';
import { deploymentSucceeded } from '../../../src/notify/pipeline-notifications.ts';
import { pipelineParams } from '../../../src/pipeline/health-predict.dag.ts';

describe('deploy_target', () => {
  it('runs every stage for kubernetes, the image stage for ecr, none for registry', () => {
    const runs = Object.fromEntries(
      DEPLOY_TARGETS.map((target) => [target, (['image', 'kubernetes'] as const).filter((stage) => deployStageSkipReason(target, stage) === undefined)]),
    );
    expect(runs).toEqual({ kubernetes: ['image', 'kubernetes'], ecr: ['image'], registry: [] });
  });

  it('names the target and how to include a skipped stage', () => {
    expect(deployStageSkipReason('registry', 'image')).toMatch(/deploy_target is 'registry': the API image build.*set deploy_target to 'ecr' or 'kubernetes'/);
    expect(deployStageSkipReason('ecr', 'kubernetes')).toMatch(/deploy_target is 'ecr': the Kubernetes rollout.*set deploy_target to 'kubernetes'/);
  });

  it('defaults to the whole path and rejects unknown targets', () => {
    expect(pipelineParams.deploy_target.schema.parse(undefined)).toBe('kubernetes');
    expect(pipelineParams.deploy_target.schema.safeParse('staging').success).toBe(false);
  });

  it('the success notification lists what the run left out', () => {
    const outcome = { decision: 'DEPLOY', summary: 'better', delta_f1: null, rules: [], candidate: { model_type: 'xgb' } } as never;
    const promotion = { model_name: 'm', version: '3', previous_version: '2' };
    const ids = { dagId: 'd', runId: 'r' };
    expect(deploymentSucceeded(outcome, promotion, ids, skippedStages('kubernetes')).facts.filter((f) => f.label === 'Not part of this run')).toEqual([]);
    expect(deploymentSucceeded(outcome, promotion, ids, skippedStages('registry')).facts.filter((f) => f.label === 'Not part of this run').map((f) => f.value)).toEqual([
      'the API image build, its local test and the ECR push',
      'the Kubernetes rollout, its verification and health check',
    ]);
  });
});
