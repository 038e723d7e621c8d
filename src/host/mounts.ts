/**
 * Mount points a service leaves behind: dockerd bind-mounts the host network namespace at
 * `<exec-root>/netns/default` and does not unmount it on exit, debootstrap mounts /proc and
 * /sys in its target. A directory with a mount inside cannot be deleted (EBUSY), and deleting
 * through a mount would reach into what is mounted, so mounts are released first.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Mount points strictly under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
      .filter((mount): mount is string => mount !== undefined && mount.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

/** Unmounts everything under `dir` (lazily when busy); returns what is still mounted. */
export function releaseMounts(dir: string): string[] {
  for (const mount of mountsUnder(dir)) {
    if (spawnSync('umount', [mount]).status !== 0) spawnSync('umount', ['-l', mount]);
  }
  return mountsUnder(dir);
}
