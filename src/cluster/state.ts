/**
 * `<stateDir>/cluster.json`: the ports chosen at the first `up` (kept, so the kubeconfig stays
 * valid) and which pid runs which component. Written atomically, read with zod.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { COMPONENT_NAMES } from './components.ts';
import { ClusterError } from './errors.ts';

const port = z.number().int().min(1).max(65_535);
const componentRecord = z.object({ pid: z.number().int().positive(), log: z.string().min(1), startedAt: z.string() });
export type ComponentRecord = z.infer<typeof componentRecord>;

const clusterFile = z.object({
  version: z.literal(1),
  ports: z.object({ etcd: port, etcdPeer: port, apiserver: port, controllerManager: port, scheduler: port, kubelet: port, kubeletHealthz: port }).optional(),
  components: z.partialRecord(z.enum(COMPONENT_NAMES), componentRecord),
});
export type ClusterState = z.infer<typeof clusterFile>;

export const emptyState = (): ClusterState => ({ version: 1, components: {} });

export function readState(file: string): ClusterState {
  if (!existsSync(file)) return emptyState();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ClusterError(`${file} is not valid JSON (${(error as Error).message}). Stop the cluster processes it listed by hand, then delete the file.`);
  }
  const parsed = clusterFile.safeParse(raw);
  if (!parsed.success) throw new ClusterError(`${file} does not look like a cluster state file: ${z.prettifyError(parsed.error)}. Stop the processes it listed by hand, then delete the file.`);
  return parsed.data;
}

export function writeState(file: string, state: ClusterState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
}
