/**
 * `dag graph <dag_id>`: the DAG as a Mermaid flowchart (groups as subgraphs, branch outcomes as
 * labels), with the edges the DAG file declares.
 */
import { emittedUpstream } from '../../compiler/emit/edges.ts';
import type { DagSpec, TaskSpec } from '../../dsl/spec.ts';

const node = (id: string): string => `n_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
const label = (text: string): string => `"${text.replace(/"/g, '#quot;')}"`;

function shape(task: TaskSpec): string {
  const text = label(task.localId);
  if (task.kind === 'branch') return `{${text}}`;
  if (task.kind === 'empty') return `((${text}))`;
  return `[${text}]`;
}

export function mermaid(spec: DagSpec): string {
  const lines = ['flowchart LR'];
  const emitMembers = (group: string | undefined, indent: string) => {
    for (const child of spec.groups.filter((g) => g.parent === group)) {
      lines.push(`${indent}subgraph ${node(`group.${child.id}`)}[${label(child.id)}]`);
      emitMembers(child.id, `${indent}  `);
      lines.push(`${indent}end`);
    }
    for (const task of spec.tasks.filter((t) => t.group === group)) lines.push(`${indent}${node(task.id)}${shape(task)}`);
  };
  emitMembers(undefined, '  ');
  const drawn = emittedUpstream(spec);
  for (const task of spec.tasks) {
    for (const up of drawn.get(task.id)!) {
      const upstream = spec.tasks.find((t) => t.id === up);
      const outcomes = upstream?.kind === 'branch' ? Object.entries(upstream.paths).filter(([, targets]) => targets.includes(task.id)).map(([value]) => value) : [];
      lines.push(outcomes.length ? `  ${node(up)} -- ${label(outcomes.join(' / '))} --> ${node(task.id)}` : `  ${node(up)} --> ${node(task.id)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
