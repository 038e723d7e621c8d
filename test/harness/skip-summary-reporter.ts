/**
 * A vitest reporter (next to the default one) that ends the run with every skip and its
 * reason: a skipped block once, with its title (describeWithService puts the reason there) and
 * how many tests it holds; a skipped test with the note it gave to `ctx.skip(note)`, else its
 * title. Tests a `-t` pattern leaves out are not skips of the suite's choosing: under a pattern
 * only the matching tests are considered.
 */
import path from 'node:path';
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';

type Child = TestCase | TestSuite;

const NO_REASON = 'no reason given (skip with describeWithService or ctx.skip(reason))';

/** One line per skip: `file › block › test — reason`; `pattern`: the run's -t filter. */
export function skipLines(modules: ReadonlyArray<TestModule>, root = process.cwd(), pattern?: RegExp): string[] {
  const lines: string[] = [];
  const chosen = (test: TestCase) => !pattern || pattern.test(test.fullName);
  for (const module of modules) {
    const file = path.relative(root, module.moduleId);
    const visit = (children: Iterable<Child>) => {
      for (const child of children) {
        if (child.type === 'suite') {
          if (child.state() === 'skipped' && child.options.mode === 'skip') {
            const count = [...child.children.allTests()].filter(chosen).length;
            if (count) lines.push(`${file} › ${child.fullName} (${count} test${count === 1 ? '' : 's'})${child.name.includes(' — skipped: ') ? '' : ` — skipped: ${NO_REASON}`}`);
          } else {
            visit(child.children);
          }
          continue;
        }
        const result = child.result();
        if (result.state !== 'skipped' || child.options.mode === 'todo' || !chosen(child)) continue;
        lines.push(`${file} › ${child.fullName} — skipped: ${result.note ?? NO_REASON}`);
      }
    };
    visit(module.children);
  }
  return lines;
}

export default class SkipSummaryReporter implements Reporter {
  private pattern: RegExp | undefined;

  onInit(vitest: Vitest): void {
    const pattern = vitest.config.testNamePattern;
    this.pattern = pattern ? new RegExp(pattern) : undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines = skipLines(testModules, process.cwd(), this.pattern);
    if (!lines.length) return;
    process.stdout.write(`\nSkipped (${lines.length}), each with its reason:\n${lines.map((line) => `  - ${line}`).join('\n')}\n`);
  }
}
