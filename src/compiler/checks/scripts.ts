/** Every Node task's script must exist where the bundler looks for it. */
import type { Check } from './context.ts';

export function checkScripts(scriptExists: (script: string) => boolean, searchedIn: readonly string[]): Check {
  return ({ spec, report }) => {
    const handler = spec.onFailure;
    if (handler && !scriptExists(handler.script)) {
      report(
        'missing-script',
        `The failure handler runs script '${handler.script}', but no ${searchedIn.map((dir) => `${dir}/${handler.script}.ts`).join(' or ')} exists, so it cannot be bundled. Move its defineTask() into a file of that name.`,
        undefined,
        handler.scriptSource ?? handler.source,
      );
    }
    for (const task of spec.tasks) {
      if (task.kind !== 'node' || scriptExists(task.script)) continue;
      report(
        'missing-script',
        `Task '${task.id}' runs script '${task.script}', but no ${searchedIn.map((dir) => `${dir}/${task.script}.ts`).join(' or ')} exists, so it cannot be bundled. Move its defineTask() into a file of that name.`,
        task,
        task.scriptSource ?? task.source,
      );
    }
  };
}
