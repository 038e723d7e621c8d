/**
 * Housekeeping after a build or push that moves a tag: the image the tag named before goes when
 * nothing names or uses it any more, so rebuilding `latest` does not leave GBs of nameless images.
 * Never by force: the daemon's 409 (a container uses it) keeps it.
 */
import type Docker from 'dockerode';
import { daemonMessage, dockerStatus, type ImageLog, inspectImage } from './docker.ts';

/**
 * Removes image `id` unless a tag still names it or a container uses it; the daemon decides the
 * latter (no force: 409 conflict = in use, kept). Housekeeping: a failure is logged, not thrown.
 */
async function removeIfUnused(docker: Docker, id: string, log: ImageLog): Promise<void> {
  try {
    const tags = ((await docker.getImage(id).inspect()).RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
    if (tags.length) {
      log.debug?.({ image_id: id, tags }, `kept the previous image ${id}: still tagged ${tags.join(', ')}`);
      return;
    }
    await docker.getImage(id).remove();
    log.info({ image_id: id }, `removed the previous image ${id}: no tag names it any more`);
  } catch (error) {
    const status = dockerStatus(error);
    if (status === 409) log.debug?.({ image_id: id }, `kept the previous image ${id}: ${daemonMessage(error)}`);
    else if (status !== 404) log.warn({ image_id: id }, `could not remove the previous image ${id}: ${daemonMessage(error)}`);
  }
}

/**
 * Runs `build` (which tags `reference`), then removes the image `reference` named before when the
 * tag moved and nothing names or uses that image any more. Resolves with what `build` resolved.
 */
export async function withReplacedImageRemoved<T>(docker: Docker, reference: string, log: ImageLog, build: () => Promise<T>): Promise<T> {
  const previous = (await inspectImage(docker, reference))?.Id;
  const result = await build();
  // removeIfUnused checks the tags again, so an unanswered look-up here is safe to try it on.
  const current = await inspectImage(docker, reference).then((image) => image?.Id, () => undefined);
  if (previous && previous !== current) await removeIfUnused(docker, previous, log);
  return result;
}
