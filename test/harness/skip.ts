/**
 * The one place that decides what happens to a test lane whose real service (dockerd, the
 * local cluster, moto) cannot run on this machine: it is skipped with the reason in its title
 * (the skip summary at the end of the run lists it), except under CI=true, where it fails:
 * CI must not pass on lanes that never ran.
 *
 *   describeWithService(DOCKER_SKIP_REASON, 'push to ECR', () => { … });
 *
 * A lane that needs something no CI can be expected to have (the real UCI file, which is not
 * redistributed with the project) skips with its reason everywhere: `describeUnless`.
 */
import { describe, it } from 'vitest';

/** CI sets CI=true (GitHub Actions, GitLab, Buildkite, …; some use 1). */
export const IN_CI = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());

/** The title a lane gets when it skips: the skip summary prints it as the reason. */
export const skippedTitle = (title: string, reason: string) => `${title} — skipped: ${reason}`;

/**
 * `describe(title, body)` when `unavailableReason` is undefined; otherwise a skipped block
 * naming the reason, or under CI a block whose one test fails with it.
 */
export function describeWithService(unavailableReason: string | undefined, title: string, body: () => void): void {
  if (unavailableReason === undefined) {
    describe(title, body);
  } else if (IN_CI) {
    describe(title, () => {
      it('has its real service', () => {
        throw new Error(`CI=true and this lane cannot run its real service: ${unavailableReason}. CI fails rather than skip it; provide the service (see README "Tests").`);
      });
    });
  } else {
    describe.skip(skippedTitle(title, unavailableReason), body);
  }
}

/** `describe(title, body)` when `skipReason` is undefined, else a skipped block naming the reason (also under CI). */
export function describeUnless(skipReason: string | undefined, title: string, body: () => void): void {
  if (skipReason === undefined) describe(title, body);
  else describe.skip(skippedTitle(title, skipReason), body);
}
