/**
 * How far a run takes the deploy path (DAG param `deploy_target`). Each deploy stage skips
 * (exit 99, with the reason in the task log) when the run's target does not include it, so a
 * machine without dockerd or without a cluster still promotes the model and says what it left out.
 */
import { z } from 'zod';

export const DEPLOY_TARGETS = ['kubernetes', 'ecr', 'registry'] as const;
export const deployTargetSchema = z.enum(DEPLOY_TARGETS);
export type DeployTarget = z.infer<typeof deployTargetSchema>;

/** The stages after promotion: the image (build, local API test, ECR push), then the cluster rollout. */
export type DeployStage = 'image' | 'kubernetes';

const STAGES_OF: Record<DeployTarget, readonly DeployStage[]> = {
  kubernetes: ['image', 'kubernetes'],
  ecr: ['image'],
  registry: [],
};

const DESCRIPTION: Record<DeployStage, string> = {
  image: 'the API image build, its local test and the ECR push',
  kubernetes: 'the Kubernetes rollout, its verification and health check',
};

/** Why `stage` does not run for `target`, or undefined when it does. */
export function deployStageSkipReason(target: DeployTarget, stage: DeployStage): string | undefined {
  if (STAGES_OF[target].includes(stage)) return undefined;
  const include = stage === 'image' ? "'ecr' or 'kubernetes'" : "'kubernetes'";
  return `deploy_target is '${target}': ${DESCRIPTION[stage]} are not part of this run (set deploy_target to ${include} to include them)`;
}

/** What a run with `target` leaves out, for notifications and the demo. */
export function skippedStages(target: DeployTarget): string[] {
  return (['image', 'kubernetes'] as const).filter((stage) => !STAGES_OF[target].includes(stage)).map((stage) => DESCRIPTION[stage]);
}
