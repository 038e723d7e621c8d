/**
 * The line of an option inside a DSL call: given the call's location (a stack frame) and the
 * option's path (`['defaultArgs', 'executionTimeout']`), parse the source and follow the object
 * literal passed as the call's options argument. Falls back to the call's line when the option
 * is not written literally there (a spread, a variable).
 */
import { createRequire } from 'node:module';
import type { SourceLocation } from '../runtime/call-site.ts';

type TS = typeof import('typescript');
type Node = import('typescript').Node;
type SourceFile = import('typescript').SourceFile;

let typescript: TS | null | undefined;
/**
 * Loaded only when a diagnostic needs it: compiling valid DAGs never pays for it. TypeScript is
 * a dev dependency; without it (a production install) problems keep the call's line.
 */
function available(): boolean {
  if (typescript === undefined) {
    try {
      typescript = createRequire(import.meta.url)('typescript') as TS;
    } catch {
      typescript = null;
    }
  }
  return typescript !== null;
}
const ts = (): TS => typescript!;

export type ReadSource = (file: string) => string | undefined;

export class OptionLocator {
  private readonly parsed = new Map<string, SourceFile | undefined>();

  constructor(private readonly readSource: ReadSource) {}

  locate(call: SourceLocation, path: readonly (string | number)[]): SourceLocation {
    if (!available()) return call;
    const file = this.parse(call.file);
    if (!file) return call;
    const found = findCall(file, call);
    const options = found?.arguments[1]; // dag(id, options, …), d.task(script, options), d.empty(id, options), …
    let node: Node | undefined = options && literal(options);
    let line = call.line;
    for (const key of path) {
      if (!node || !ts().isObjectLiteralExpression(node)) break;
      const property = node.properties.find((p) => p.name && propertyName(p.name) === String(key));
      if (!property) break;
      line = file.getLineAndCharacterOfPosition(property.getStart(file)).line + 1;
      node = ts().isPropertyAssignment(property) ? literal(property.initializer) : undefined;
    }
    return { ...call, line };
  }

  private parse(fileName: string): SourceFile | undefined {
    if (!this.parsed.has(fileName)) {
      const text = this.readSource(fileName);
      this.parsed.set(fileName, text === undefined ? undefined : ts().createSourceFile(fileName, text, ts().ScriptTarget.Latest, true));
    }
    return this.parsed.get(fileName);
  }
}

/** The object literal behind `x as T`, `x satisfies T`, `(x)`, `x!`. */
function literal(node: Node): Node {
  const api = ts();
  let current = node;
  while (api.isAsExpression(current) || api.isSatisfiesExpression(current) || api.isParenthesizedExpression(current) || api.isNonNullExpression(current)) current = current.expression;
  return current;
}

function propertyName(name: import('typescript').PropertyName): string | undefined {
  const api = ts();
  if (api.isIdentifier(name) || api.isStringLiteralLike(name) || api.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** The call whose callee name sits at the frame's position (V8 reports the method name's column). */
function findCall(file: SourceFile, at: SourceLocation): import('typescript').CallExpression | undefined {
  const api = ts();
  const position = file.getPositionOfLineAndCharacter(at.line - 1, Math.max(0, at.column - 1));
  let best: import('typescript').CallExpression | undefined;
  const visit = (node: Node): void => {
    if (position < node.getFullStart() || position > node.getEnd()) return;
    if (api.isCallExpression(node)) {
      const callee = api.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (position >= callee.getStart(file) && position <= callee.getEnd()) best = node;
    }
    node.forEachChild(visit);
  };
  visit(file);
  return best;
}
